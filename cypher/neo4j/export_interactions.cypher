// One record per shopper with all their interactions as rows in the table's column order: a
// record per interaction made the export of 1M interactions spend most of its time per record.
MATCH (u:User)
CALL (u) {
  MATCH (u)-[r:INTERACTED]->(i:Item)
  RETURN collect([u.id, i.id, r.kind, r.weight, r.rating, r.ts, r.split]) AS rows
}
WITH rows WHERE size(rows) > 0
RETURN rows;
