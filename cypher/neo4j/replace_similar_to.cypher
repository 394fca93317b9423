MATCH (:Item)-[r:SIMILAR_TO]->(:Item) DELETE r;
UNWIND $rows AS row
MATCH (a:Item {id: row.item_id})
MATCH (b:Item {id: row.other_id})
CREATE (a)-[:SIMILAR_TO {score: row.score}]->(b)
RETURN count(*) AS matched;
