// What BOUGHT_WITH is derived from (graphrec.graph.derive), for the items $item_ids only: per
// partner, the distinct shoppers who interacted with both, kinds in $excluded and test-split
// interactions left out. In two steps: LadybugDB 0.22 miscounts the one-pattern form
// (x)<-[r]-(u)-[s]->(other) with list predicates on both r and s (a count of 2 came back as 4).
MATCH (x:Item)<-[r:INTERACTED]-(u:User)
WHERE x.id IN $item_ids AND NOT r.kind IN $excluded AND coalesce(r.split, '') <> 'test'
WITH DISTINCT x, u
MATCH (u)-[s:INTERACTED]->(other:Item)
WHERE other <> x AND NOT s.kind IN $excluded AND coalesce(s.split, '') <> 'test'
RETURN x.id AS item_id, other.id AS other_id, count(DISTINCT u) AS shoppers;
