// Forget feed entries up to a number: a process further behind rebuilds from the store.
MATCH (c:Change)
WHERE c.seq <= $through
DELETE c;
