// Neo4j only: the items nearest to $item_id in the cosine vector index over Item.embedding
// (created by `graphrec train` with the Neo4j store). The embedded store answers
// cypher/explore/similar_items.cypher instead.
MATCH (x:Item {id: $item_id})
CALL db.index.vector.queryNodes('item_embedding', $limit + 1, x.embedding)
YIELD node, score
WHERE node <> x
RETURN node.id AS item_id, node.title AS title, score
ORDER BY score DESC, item_id;
