// One record per item with its edges as rows (see export_interactions.cypher).
MATCH (a:Item)
CALL (a) {
  MATCH (a)-[r:SIMILAR_TO]->(b:Item)
  RETURN collect([a.id, b.id, r.score]) AS rows
}
WITH rows WHERE size(rows) > 0
RETURN rows;
