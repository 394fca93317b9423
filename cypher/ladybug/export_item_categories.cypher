MATCH (i:Item)-[:IN_CATEGORY]->(c:Category)
RETURN i.id AS item_id, c.id AS category_id;
