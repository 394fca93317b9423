// The number of the newest change (no row: nothing was ever written).
MATCH (h:ChangeHead {id: 'head'})
RETURN h.seq AS seq;
