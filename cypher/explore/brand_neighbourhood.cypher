// Which brands are bought together with brand $brand_id, by shoppers over all item pairs.
MATCH (b:Brand {id: $brand_id})<-[:MADE_BY]-(:Item)-[w:BOUGHT_WITH]->(:Item)-[:MADE_BY]->(other:Brand)
WHERE other <> b
RETURN other.id AS brand_id, other.name AS brand, sum(w.weight) AS shoppers
ORDER BY shoppers DESC, brand_id
LIMIT $limit;
