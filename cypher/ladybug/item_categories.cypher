MATCH (i:Item {id: $item_id})-[:IN_CATEGORY]->(c:Category)
RETURN c.id AS id, c.name AS name
ORDER BY id;
