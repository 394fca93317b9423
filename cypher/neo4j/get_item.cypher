MATCH (i:Item {id: $item_id})
OPTIONAL MATCH (i)-[:MADE_BY]->(b:Brand)
RETURN i.id AS id, i.title AS title, i.price AS price, i.in_stock AS in_stock,
       i.created_at AS created_at, b.id AS brand_id, b.name AS brand_name;
