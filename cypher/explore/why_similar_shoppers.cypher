// Why is $item_id recommended to shopper $user_id? Other shoppers who had one of the shopper's
// items and this one, counted per shared item.
MATCH (u:User {id: $user_id})-[:INTERACTED]->(mine:Item)<-[:INTERACTED]-(other:User)-[:INTERACTED]->(x:Item {id: $item_id})
WHERE other <> u AND mine <> x
RETURN mine.id AS via_item, mine.title AS via_title, count(DISTINCT other) AS shoppers
ORDER BY shoppers DESC, via_item;
