// Why is $item_id recommended to shopper $user_id? Items the shopper had that are bought
// together with it. Neo4j Browser: :param user_id => "alice"; :param item_id => "toner"
MATCH (u:User {id: $user_id})-[i:INTERACTED]->(mine:Item)-[b:BOUGHT_WITH]->(x:Item {id: $item_id})
WHERE mine <> x
RETURN u, i, mine, b, x, mine.id AS via_item, mine.title AS via_title, i.kind AS kind,
       b.weight AS shoppers
ORDER BY shoppers DESC, via_item;
