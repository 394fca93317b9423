// export_interactions for the relationships from the nodes with these $ids only: a small
// write reads what it names, not the whole store (IN, not UNWIND: LadybugDB then scanned).
MATCH (u:User)-[r:INTERACTED]->(i:Item)
WHERE u.id IN $ids
RETURN u.id AS user_id, i.id AS item_id, r.kind AS kind, r.weight AS weight, r.rating AS rating,
       r.ts AS ts, r.split AS split;
