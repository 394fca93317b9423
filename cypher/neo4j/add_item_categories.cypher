UNWIND $rows AS row
MATCH (i:Item {id: row.item_id})
MATCH (c:Category {id: row.category_id})
MERGE (i)-[:IN_CATEGORY]->(c)
RETURN count(*) AS matched;
