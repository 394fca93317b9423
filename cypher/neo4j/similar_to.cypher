MATCH (:Item {id: $item_id})-[r:SIMILAR_TO]->(other:Item)
RETURN other.id AS item_id, r.score AS score
ORDER BY score DESC, item_id
LIMIT $limit;
