MATCH (i:Item)-[:MADE_BY]->(b:Brand)
RETURN i.id AS item_id, b.id AS brand_id;
