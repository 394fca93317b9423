MATCH (r:Rule {id: $id})
DETACH DELETE r
RETURN count(*) AS deleted;
