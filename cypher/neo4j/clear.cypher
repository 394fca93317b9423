// In batches, each its own transaction: one transaction for a whole shop's graph would need
// gigabytes of heap. A clear that fails part-way leaves a smaller graph; run it again.
MATCH (n)
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS;
