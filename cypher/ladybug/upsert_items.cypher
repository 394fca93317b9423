COPY Item FROM $new;
LOAD FROM $changed
MATCH (i:Item {id: id})
SET i.title = title, i.price = price, i.in_stock = in_stock, i.created_at = created_at;
