// A feed entry's rows, rewritten (a privacy delete).
MATCH (c:Change {seq: $seq})
SET c.body = $body;
