// A name left out (null) keeps the name the node has: a partial update changes only what it names.
UNWIND $rows AS row
MERGE (n:Brand {id: row.id})
SET n.name = coalesce(row.name, n.name);
