MATCH (a:Item)-[r:BOUGHT_WITH]->(:Item) WHERE a.id IN $item_ids DELETE r;
UNWIND $rows AS row
MATCH (a:Item {id: row.item_id})
MATCH (b:Item {id: row.other_id})
CREATE (a)-[:BOUGHT_WITH {weight: row.weight}]->(b)
RETURN count(*) AS matched;
