// Create or replace one business rule; a property given as null is removed.
MERGE (r:Rule {id: $id})
SET r.action = $action, r.item = $item, r.brand = $brand, r.category = $category,
    r.weight = $weight, r.position = $position;
