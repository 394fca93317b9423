UNWIND $rows AS row
MATCH (i:Item {id: row.item_id})
SET i.embedding = row.embedding
RETURN count(*) AS matched;
