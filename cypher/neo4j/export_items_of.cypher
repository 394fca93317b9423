// export_items for the nodes with these $ids only: a small write reads what it
// names, not the whole store.
UNWIND $ids AS id
MATCH (i:Item {id: id})
RETURN i.id AS id, i.title AS title, i.price AS price, i.in_stock AS in_stock,
       i.created_at AS created_at;
