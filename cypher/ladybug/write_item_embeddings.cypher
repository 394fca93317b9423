LOAD FROM $rows
MATCH (i:Item {id: item_id})
SET i.embedding = embedding
RETURN count(*) AS matched;
