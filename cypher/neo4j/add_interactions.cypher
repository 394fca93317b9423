// One event is (user, item, kind, ts): MERGE on it makes a second load of the same file a no-op.
UNWIND $rows AS row
MATCH (u:User {id: row.user_id})
MATCH (i:Item {id: row.item_id})
MERGE (u)-[r:INTERACTED {kind: row.kind, ts: row.ts}]->(i)
ON CREATE SET r.weight = row.weight, r.rating = row.rating, r.split = row.split
RETURN count(*) AS matched;
