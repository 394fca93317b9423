// export_category_parents for the relationships from the nodes with these $ids only: a small
// write reads what it names, not the whole store (IN, not UNWIND: LadybugDB then scanned).
MATCH (c:Category)-[:SUBCATEGORY_OF]->(p:Category)
WHERE c.id IN $ids
RETURN c.id AS category_id, p.id AS parent_id;
