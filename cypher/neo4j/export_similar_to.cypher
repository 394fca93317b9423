MATCH (a:Item)-[r:SIMILAR_TO]->(b:Item)
RETURN a.id AS item_id, b.id AS other_id, r.score AS score;
