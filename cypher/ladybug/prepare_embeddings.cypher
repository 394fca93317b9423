// Item embeddings are a FLOAT[] property; stores made before it existed get the column here.
ALTER TABLE Item ADD IF NOT EXISTS embedding FLOAT[];
