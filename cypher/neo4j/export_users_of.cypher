// export_users for the nodes with these $ids only: a small write reads what it
// names, not the whole store.
UNWIND $ids AS id
MATCH (u:User {id: id})
RETURN u.id AS id;
