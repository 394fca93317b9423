MATCH (u:User {id: $user_id})
DETACH DELETE u;
