MATCH (:Item {id: $item_id})-[r:BOUGHT_WITH]->(other:Item)
RETURN other.id AS item_id, r.weight AS weight
ORDER BY weight DESC, item_id
LIMIT $limit;
