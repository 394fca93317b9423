// Shoppers who interacted with the item, then what else they interacted with. The WHERE keeps the
// item itself out on both engines (their relationship-uniqueness rules differ).
MATCH (x:Item {id: $item_id})<-[:INTERACTED]-(u:User)-[:INTERACTED]->(other:Item)
WHERE other <> x
RETURN other.id AS item_id, count(DISTINCT u) AS shoppers
ORDER BY shoppers DESC, item_id
LIMIT $limit;
