// Written embeddings are searchable once the index has taken them in.
CALL db.awaitIndex('item_embedding', $seconds);
