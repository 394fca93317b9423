MATCH (u:User)-[r:INTERACTED]->(i:Item)
RETURN u.id AS user_id, i.id AS item_id, r.kind AS kind, r.weight AS weight, r.rating AS rating,
       r.ts AS ts, r.split AS split;
