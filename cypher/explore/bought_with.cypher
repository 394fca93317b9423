// What is bought with $item_id, strongest first. :param item_id => "serum"; :param limit => 10
MATCH (x:Item {id: $item_id})-[b:BOUGHT_WITH]->(other:Item)
RETURN x, b, other, other.id AS item_id, other.title AS title, b.weight AS shoppers
ORDER BY shoppers DESC, item_id
LIMIT $limit;
