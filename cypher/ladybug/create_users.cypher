// New users ($rows: a list of {id}), in a small write: one statement over a list parameter
// commits at once (a COPY's commit took 64 ms in LadybugDB; a statement per row 0.5 ms each).
UNWIND $rows AS row
CREATE (:User {id: row.id});
