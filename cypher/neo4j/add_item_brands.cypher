UNWIND $rows AS row
MATCH (i:Item {id: row.item_id})
MATCH (b:Brand {id: row.brand_id})
MERGE (i)-[:MADE_BY]->(b)
RETURN count(*) AS matched;
