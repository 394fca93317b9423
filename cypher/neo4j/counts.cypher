// One row per label and type, each read from Neo4j's count store.
MATCH (n:User) RETURN 'User' AS name, count(n) AS n
UNION ALL MATCH (n:Item) RETURN 'Item' AS name, count(n) AS n
UNION ALL MATCH (n:Category) RETURN 'Category' AS name, count(n) AS n
UNION ALL MATCH (n:Brand) RETURN 'Brand' AS name, count(n) AS n
UNION ALL MATCH ()-[r:INTERACTED]->() RETURN 'INTERACTED' AS name, count(r) AS n
UNION ALL MATCH ()-[r:IN_CATEGORY]->() RETURN 'IN_CATEGORY' AS name, count(r) AS n
UNION ALL MATCH ()-[r:SUBCATEGORY_OF]->() RETURN 'SUBCATEGORY_OF' AS name, count(r) AS n
UNION ALL MATCH ()-[r:MADE_BY]->() RETURN 'MADE_BY' AS name, count(r) AS n
UNION ALL MATCH ()-[r:BOUGHT_WITH]->() RETURN 'BOUGHT_WITH' AS name, count(r) AS n
UNION ALL MATCH ()-[r:SIMILAR_TO]->() RETURN 'SIMILAR_TO' AS name, count(r) AS n;
