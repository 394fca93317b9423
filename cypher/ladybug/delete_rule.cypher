MATCH (r:Rule {id: $id})
DELETE r
RETURN count(*) AS deleted;
