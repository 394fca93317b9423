MATCH (:User {id: $user_id})-[:INTERACTED]->(mine:Item)-[:MADE_BY]->(b:Brand)<-[:MADE_BY]-(c:Item)
WHERE c.id IN $item_ids AND c <> mine
RETURN DISTINCT c.id AS item_id, mine.id AS user_item_id, b.id AS via_id, b.name AS via_name,
       1.0 AS weight;
