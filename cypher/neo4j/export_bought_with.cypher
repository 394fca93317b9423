// One record per item with its edges as rows (see export_interactions.cypher).
MATCH (a:Item)
CALL (a) {
  MATCH (a)-[r:BOUGHT_WITH]->(b:Item)
  RETURN collect([a.id, b.id, r.weight]) AS rows
}
WITH rows WHERE size(rows) > 0
RETURN rows;
