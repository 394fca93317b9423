MATCH (:User {id: $user_id})-[:INTERACTED]->(mine:Item)-[r:BOUGHT_WITH]->(c:Item)
WHERE c.id IN $item_ids AND c <> mine
RETURN DISTINCT c.id AS item_id, mine.id AS user_item_id, c.id AS via_id, c.title AS via_name,
       r.weight AS weight;
