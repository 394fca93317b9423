// A name left out (null) keeps the name the node has: a partial update changes only what it names.
COPY Brand FROM $new;
LOAD FROM $changed
MATCH (n:Brand {id: id})
SET n.name = coalesce(name, n.name);
