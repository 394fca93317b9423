MATCH (:User {id: $user_id})-[:INTERACTED]->(mine:Item)-[:IN_CATEGORY]->(k:Category)<-[:IN_CATEGORY]-(c:Item)
WHERE c.id IN $item_ids AND c <> mine
RETURN DISTINCT c.id AS item_id, mine.id AS user_item_id, k.id AS via_id, k.name AS via_name,
       1.0 AS weight;
