// New interactions ($rows: a list of the interactions table's rows), in a small write: one
// statement over a list parameter (a COPY's commit took 64 ms in LadybugDB). Both endpoints
// exist (checked before). A column that is null in every row reaches Ladybug untyped: cast.
UNWIND $rows AS row
MATCH (u:User {id: row.user_id})
MATCH (i:Item {id: row.item_id})
CREATE (u)-[:INTERACTED {
  kind: row.kind,
  weight: CAST(row.weight AS DOUBLE),
  rating: CAST(row.rating AS DOUBLE),
  ts: CAST(row.ts AS INT64),
  split: CAST(row.split AS STRING)
}]->(i);
