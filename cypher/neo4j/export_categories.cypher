MATCH (c:Category)
RETURN c.id AS id, c.name AS name;
