// Why is $item_id recommended to shopper $user_id? Items the shopper had in its category.
MATCH (u:User {id: $user_id})-[i:INTERACTED]->(mine:Item)-[c1:IN_CATEGORY]->(c:Category)<-[c2:IN_CATEGORY]-(x:Item {id: $item_id})
WHERE mine <> x
RETURN u, i, mine, c1, c, c2, x, mine.id AS via_item, c.id AS category_id, c.name AS category,
       i.kind AS kind
ORDER BY via_item;
