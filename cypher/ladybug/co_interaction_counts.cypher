// What BOUGHT_WITH is derived from (graphrec.graph.derive), for the items $item_ids only: per
// partner, the distinct shoppers who interacted with both within $window seconds (0: however
// far apart; a time of 0 is unknown and pairs with any), kinds in $excluded and test-split
// interactions left out. In two steps: LadybugDB 0.22 miscounts the one-pattern form
// (x)<-[r]-(u)-[s]->(other) with list predicates on both r and s (a count of 2 came back as 4).
MATCH (x:Item)<-[r:INTERACTED]-(u:User)
WHERE x.id IN $item_ids AND NOT r.kind IN $excluded AND coalesce(r.split, '') <> 'test'
WITH x, u, coalesce(r.ts, 0) AS t
MATCH (u)-[s:INTERACTED]->(other:Item)
WHERE other <> x AND NOT s.kind IN $excluded AND coalesce(s.split, '') <> 'test'
  AND ($window <= 0 OR t = 0 OR coalesce(s.ts, 0) = 0 OR abs(s.ts - t) <= $window)
RETURN x.id AS item_id, other.id AS other_id, count(DISTINCT u) AS shoppers;
