// Lints Neo4j Cypher files with Neo4j's own parser (@neo4j-cypher/language-support), offline.
// Usage: node lint.mjs FOLDER...   Exit 1 on any syntax error, undefined variable, unknown
// function or procedure, or a label, relationship type or property outside graphrec's model.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import * as ls from "@neo4j-cypher/language-support";

const { lintCypherQuery, isNotParamError, testData } = ls;

// The graph model (graphrec/store/base.py and the README); keep in step with it.
const schema = {
  labels: ["User", "Item", "Category", "Brand", "Rule", "Change", "ChangeHead", "Setting"],
  relationshipTypes: ["INTERACTED", "IN_CATEGORY", "SUBCATEGORY_OF", "MADE_BY", "BOUGHT_WITH",
                      "SIMILAR_TO"],
  propertyKeys: ["id", "title", "price", "in_stock", "created_at", "name", "kind", "weight",
                 "rating", "ts", "split", "score", "embedding",
                 // business rules (graphrec/rules.py)
                 "action", "item", "brand", "category", "position",
                 // the change feed and settings (graphrec/store/base.py)
                 "seq", "at", "body", "key", "value",
                 // keys of the $rows maps that UNWIND writes read
                 "user_id", "item_id", "category_id", "parent_id", "brand_id", "other_id"],
  functions: testData.mockSchema.functions,
  procedures: testData.mockSchema.procedures,
  defaultLanguage: "CYPHER 5",
};

function statementsOf(text) {
  // Comment lines become blank lines, so reported line numbers match the file.
  const body = text.split("\n").map((line) => (line.trimStart().startsWith("//") ? "" : line)).join("\n");
  const parts = [];
  let offset = 0;
  for (const chunk of body.split(";")) {
    const line = body.slice(0, offset).split("\n").length;
    if (chunk.trim()) parts.push({ text: chunk, line });
    offset += chunk.length + 1;
  }
  return parts;
}

let failures = 0;
let checked = 0;
for (const folder of process.argv.slice(2)) {
  for (const name of readdirSync(folder).filter((f) => f.endsWith(".cypher")).sort()) {
    const path = join(folder, name);
    for (const statement of statementsOf(readFileSync(path, "utf8"))) {
      checked += 1;
      const { diagnostics } = lintCypherQuery(statement.text, schema);
      for (const d of diagnostics.filter(isNotParamError)) {
        failures += 1;
        const line = statement.line + d.range.start.line;
        const kind = d.severity === 1 ? "error" : "warning";
        console.log(`${path}:${line}:${d.range.start.character + 1}: ${kind}: ${d.message}`);
      }
    }
  }
}
console.log(`cypher-lint: ${checked} statement(s) checked by Neo4j's parser, ${failures} problem(s)`);
process.exit(failures ? 1 : 0);
