UNWIND $rows AS row
MERGE (n:Category {id: row.id})
SET n.name = row.name;
