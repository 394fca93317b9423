// Best sellers in category $category_id and every category below it: distinct shoppers with an
// intent interaction (views and clicks do not count).
MATCH (x:Item)-[:IN_CATEGORY]->(c:Category)-[:SUBCATEGORY_OF*0..10]->(top:Category {id: $category_id})
MATCH (u:User)-[r:INTERACTED]->(x)
WHERE NOT r.kind IN ['view', 'click', 'not_interested']
RETURN x.id AS item_id, x.title AS title, c.name AS category, count(DISTINCT u) AS shoppers
ORDER BY shoppers DESC, item_id
LIMIT $limit;
