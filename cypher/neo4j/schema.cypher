// Uniqueness constraints (each backed by an index) and the indexes the reads use.
CREATE CONSTRAINT user_id IF NOT EXISTS FOR (u:User) REQUIRE u.id IS UNIQUE;
CREATE CONSTRAINT item_id IF NOT EXISTS FOR (i:Item) REQUIRE i.id IS UNIQUE;
CREATE CONSTRAINT category_id IF NOT EXISTS FOR (c:Category) REQUIRE c.id IS UNIQUE;
CREATE CONSTRAINT brand_id IF NOT EXISTS FOR (b:Brand) REQUIRE b.id IS UNIQUE;
CREATE CONSTRAINT rule_id IF NOT EXISTS FOR (r:Rule) REQUIRE r.id IS UNIQUE;
// The change feed (one Change per write, numbered by ChangeHead.seq, which every serving
// process follows) and the store's settings, such as the active model version.
CREATE CONSTRAINT change_seq IF NOT EXISTS FOR (c:Change) REQUIRE c.seq IS UNIQUE;
CREATE CONSTRAINT change_head_id IF NOT EXISTS FOR (h:ChangeHead) REQUIRE h.id IS UNIQUE;
CREATE CONSTRAINT setting_key IF NOT EXISTS FOR (s:Setting) REQUIRE s.key IS UNIQUE;
// No index on INTERACTED's properties: every read starts from a user or an item, and such an
// index made a load's MERGE quadratic in the rows of one transaction that share a value (a
// dataset without timestamps has ts 0 throughout): 478 rows/s at 10k rows, 238 at 20k.
DROP INDEX interacted_ts IF EXISTS;
DROP INDEX interacted_kind IF EXISTS;
