// Items most similar to $item_id by the written-back embeddings (SIMILAR_TO, top 20 per item,
// from `graphrec train`). In Neo4j the vector index answers too: similar_by_vector.neo4j.cypher.
MATCH (x:Item {id: $item_id})-[s:SIMILAR_TO]->(other:Item)
RETURN x, s, other, other.id AS item_id, other.title AS title, s.score AS score
ORDER BY score DESC, item_id
LIMIT $limit;
