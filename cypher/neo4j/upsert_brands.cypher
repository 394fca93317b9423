UNWIND $rows AS row
MERGE (n:Brand {id: row.id})
SET n.name = row.name;
