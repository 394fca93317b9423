// Feed entries after a number, oldest first.
MATCH (c:Change)
WHERE c.seq > $after
RETURN c.seq AS seq, c.at AS at, c.kind AS kind, c.body AS body
ORDER BY seq
LIMIT $limit;
