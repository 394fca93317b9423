// export_item_brands for the relationships from the nodes with these $ids only: a small
// write reads what it names, not the whole store (IN, not UNWIND: LadybugDB then scanned).
MATCH (i:Item)-[:MADE_BY]->(b:Brand)
WHERE i.id IN $ids
RETURN i.id AS item_id, b.id AS brand_id;
