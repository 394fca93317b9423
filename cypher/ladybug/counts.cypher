MATCH (n)
RETURN label(n) AS name, count(*) AS n;
MATCH ()-[r]->()
RETURN label(r) AS name, count(*) AS n;
