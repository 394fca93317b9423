UNWIND $rows AS row
MERGE (:User {id: row.id});
