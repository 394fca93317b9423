// One new interaction, in a small write: row by row, a write commits at once (a COPY's
// commit took 64 ms in LadybugDB). Both endpoints exist (checked before).
MATCH (u:User {id: $user_id})
MATCH (i:Item {id: $item_id})
CREATE (u)-[:INTERACTED {kind: $kind, weight: $weight, rating: $rating, ts: $ts, split: $split}]->(i);
