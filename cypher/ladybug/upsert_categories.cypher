COPY Category FROM $new;
LOAD FROM $changed
MATCH (n:Category {id: id})
SET n.name = name;
