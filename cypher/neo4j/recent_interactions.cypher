MATCH (u:User {id: $user_id})-[r:INTERACTED]->(i:Item)
RETURN i.id AS item_id, r.kind AS kind, r.weight AS weight, r.rating AS rating, r.ts AS ts
ORDER BY ts DESC, item_id, kind
LIMIT $limit;
