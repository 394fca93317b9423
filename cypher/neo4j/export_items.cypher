MATCH (i:Item)
RETURN i.id AS id, i.title AS title, i.price AS price, i.in_stock AS in_stock,
       i.created_at AS created_at;
