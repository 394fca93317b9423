UNWIND $rows AS row
MERGE (i:Item {id: row.id})
SET i.title = row.title, i.price = row.price, i.in_stock = row.in_stock,
    i.created_at = row.created_at;
