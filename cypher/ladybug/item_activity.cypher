// Per item, what popular and trending are made of (graphrec.serving.activity): its newest
// interaction, its shoppers overall and since $since, and its interactions each weighted
// 2^((ts - newest) / half_life) for the two half-lives. Kinds in $excluded show no interest.
MATCH (:User)-[r:INTERACTED]->(i:Item)
WHERE NOT r.kind IN $excluded
WITH i, max(r.ts) AS newest
MATCH (u:User)-[r:INTERACTED]->(i)
WHERE NOT r.kind IN $excluded
RETURN i.id AS item_id, newest,
       count(DISTINCT u) AS shoppers,
       count(DISTINCT CASE WHEN r.ts >= $since THEN u.id ELSE NULL END) AS recent,
       sum(2.0 ^ ((r.ts - newest) / $trend_half_life)) AS trend_sum,
       sum(2.0 ^ ((r.ts - newest) / $popular_half_life)) AS popular_sum;
