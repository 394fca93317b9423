// One entry of the change feed, in the transaction of the write it describes: the head's
// number goes up by one (its lock orders concurrent writers) and the entry takes it.
MERGE (h:ChangeHead {id: 'head'})
ON CREATE SET h.seq = 0
SET h.seq = h.seq + 1
CREATE (c:Change {seq: h.seq, at: $at, kind: $kind, body: $body})
RETURN c.seq AS seq;
