// export_item_categories for the relationships from the nodes with these $ids only: a small
// write reads what it names, not the whole store (IN, not UNWIND: LadybugDB then scanned).
MATCH (i:Item)-[:IN_CATEGORY]->(c:Category)
WHERE i.id IN $ids
RETURN i.id AS item_id, c.id AS category_id;
