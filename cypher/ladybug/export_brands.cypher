MATCH (b:Brand)
RETURN b.id AS id, b.name AS name;
