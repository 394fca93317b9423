// Everything but the change feed's head: its number only ever goes up, so a serving process
// that follows the feed sees the clear as the next change.
MATCH (n)
WHERE label(n) <> 'ChangeHead'
DETACH DELETE n;
