COPY Brand FROM $new;
LOAD FROM $changed
MATCH (n:Brand {id: id})
SET n.name = name;
