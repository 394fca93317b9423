// Why is $item_id recommended to shopper $user_id? Items the shopper had of the same brand.
MATCH (u:User {id: $user_id})-[i:INTERACTED]->(mine:Item)-[m1:MADE_BY]->(b:Brand)<-[m2:MADE_BY]-(x:Item {id: $item_id})
WHERE mine <> x
RETURN u, i, mine, m1, b, m2, x, mine.id AS via_item, b.id AS brand_id, b.name AS brand,
       i.kind AS kind
ORDER BY via_item;
