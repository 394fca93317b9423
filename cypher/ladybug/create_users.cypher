// One new user ($id), in a small write: row by row, a write commits at once (a COPY's
// commit took 64 ms in LadybugDB).
CREATE (:User {id: $id});
