// Embeddings of another size replace the old ones: their index goes first.
DROP INDEX item_embedding IF EXISTS;
