// LadybugDB needs every node and relationship table declared; primary keys are its uniqueness
// constraints and indexes.
CREATE NODE TABLE IF NOT EXISTS User(id STRING PRIMARY KEY);
CREATE NODE TABLE IF NOT EXISTS Item(id STRING PRIMARY KEY, title STRING, price DOUBLE, in_stock BOOLEAN, created_at INT64);
CREATE NODE TABLE IF NOT EXISTS Category(id STRING PRIMARY KEY, name STRING);
CREATE NODE TABLE IF NOT EXISTS Brand(id STRING PRIMARY KEY, name STRING);
CREATE NODE TABLE IF NOT EXISTS Rule(id STRING PRIMARY KEY, action STRING, item STRING, brand STRING, category STRING, weight DOUBLE, position INT64);
CREATE REL TABLE IF NOT EXISTS INTERACTED(FROM User TO Item, kind STRING, weight DOUBLE, rating DOUBLE, ts INT64, split STRING);
CREATE REL TABLE IF NOT EXISTS IN_CATEGORY(FROM Item TO Category);
CREATE REL TABLE IF NOT EXISTS SUBCATEGORY_OF(FROM Category TO Category);
CREATE REL TABLE IF NOT EXISTS MADE_BY(FROM Item TO Brand);
CREATE REL TABLE IF NOT EXISTS BOUGHT_WITH(FROM Item TO Item, weight DOUBLE);
CREATE REL TABLE IF NOT EXISTS SIMILAR_TO(FROM Item TO Item, score DOUBLE);
// The change feed: one Change per write, numbered by ChangeHead.seq, which every serving
// process follows to apply what another process wrote. Setting: the store's settings, such
// as the active model version.
CREATE NODE TABLE IF NOT EXISTS Change(seq INT64 PRIMARY KEY, at INT64, kind STRING, body STRING);
CREATE NODE TABLE IF NOT EXISTS ChangeHead(id STRING PRIMARY KEY, seq INT64);
CREATE NODE TABLE IF NOT EXISTS Setting(key STRING PRIMARY KEY, value STRING);
