// In-stock items that no recommendation path reaches: nobody interacted with them and no item
// points to them (no BOUGHT_WITH, no SIMILAR_TO). Candidates for content, promotion or rules.
MATCH (x:Item)
WHERE coalesce(x.in_stock, true)
  AND NOT EXISTS { MATCH (:User)-[:INTERACTED]->(x) }
  AND NOT EXISTS { MATCH (:Item)-[:BOUGHT_WITH]->(x) }
  AND NOT EXISTS { MATCH (:Item)-[:SIMILAR_TO]->(x) }
RETURN x.id AS item_id, x.title AS title
ORDER BY item_id
LIMIT $limit;
