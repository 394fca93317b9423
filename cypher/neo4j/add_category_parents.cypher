UNWIND $rows AS row
MATCH (c:Category {id: row.category_id})
MATCH (p:Category {id: row.parent_id})
MERGE (c)-[:SUBCATEGORY_OF]->(p)
RETURN count(*) AS matched;
