MATCH (u:User {id: $user_id})
RETURN u.id AS id;
