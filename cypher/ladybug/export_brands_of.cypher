// export_brands for the nodes with these $ids only: a small write reads what it
// names, not the whole store.
UNWIND $ids AS id
MATCH (b:Brand {id: id})
RETURN b.id AS id, b.name AS name;
