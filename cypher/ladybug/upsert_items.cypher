// The columns named: after training wrote embeddings, Item has one more (embedding).
COPY Item(id, title, price, in_stock, created_at) FROM $new;
LOAD FROM $changed
MATCH (i:Item {id: id})
SET i.title = title, i.price = price, i.in_stock = in_stock, i.created_at = created_at;
