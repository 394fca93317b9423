MATCH (a:Item)-[r:BOUGHT_WITH]->(b:Item)
RETURN a.id AS item_id, b.id AS other_id, r.weight AS weight;
