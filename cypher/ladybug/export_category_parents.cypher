MATCH (c:Category)-[:SUBCATEGORY_OF]->(p:Category)
RETURN c.id AS category_id, p.id AS parent_id;
