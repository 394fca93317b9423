// In batches, each its own transaction: one transaction for a whole shop's graph would need
// gigabytes of heap. A clear that fails part-way leaves a smaller graph; run it again.
// The change feed's head stays: its number only ever goes up, so a serving process that
// follows the feed sees the clear as the next change.
MATCH (n)
WHERE NOT n:ChangeHead
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS;
