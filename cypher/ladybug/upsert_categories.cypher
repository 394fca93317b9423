// A name left out (null) keeps the name the node has: a partial update changes only what it names.
COPY Category FROM $new;
LOAD FROM $changed
MATCH (n:Category {id: id})
SET n.name = coalesce(name, n.name);
