// The dimensions of the vector index over Item.embedding, if there is one.
SHOW VECTOR INDEXES YIELD name, options
WHERE name = 'item_embedding'
RETURN options.indexConfig.`vector.dimensions` AS dimensions;
