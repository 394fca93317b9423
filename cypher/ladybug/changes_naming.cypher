// Feed entries of writes whose rows name this text (a shopper's id, JSON-quoted): what a
// privacy delete takes the shopper out of.
MATCH (c:Change)
WHERE c.kind = 'write' AND c.body CONTAINS $needle
RETURN c.seq AS seq, c.body AS body;
