// Business rules kept in the store (see graphrec/rules.py), in id order.
MATCH (r:Rule)
RETURN r.id AS id, r.action AS action, r.item AS item, r.brand AS brand,
       r.category AS category, r.weight AS weight, r.position AS position
ORDER BY id;
