MATCH (a:Item)-[r:BOUGHT_WITH]->(:Item) WHERE a.id IN $item_ids DELETE r;
COPY BOUGHT_WITH FROM $new;
