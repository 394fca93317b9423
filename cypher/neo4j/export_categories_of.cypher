// export_categories for the nodes with these $ids only: a small write reads what it
// names, not the whole store.
UNWIND $ids AS id
MATCH (c:Category {id: id})
RETURN c.id AS id, c.name AS name;
