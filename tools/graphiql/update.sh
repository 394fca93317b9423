#!/usr/bin/env bash
# Refreshes the GraphiQL that `graphrec serve` serves at /graphql from the package itself (no
# CDN): the UMD builds of graphiql, react and react-dom, from the npm registry.
#
#   tools/graphiql/update.sh      # writes graphrec/api/static/graphiql/, then commit it
#
# Needs npm. Versions: GRAPHIQL_VERSION=3.9.0 REACT_VERSION=18.3.1 (react 19 has no UMD build;
# graphiql 4 and later have none either). All three are MIT: LICENSES.txt carries their notices.
set -euo pipefail

GRAPHIQL_VERSION=${GRAPHIQL_VERSION:-3.9.0}
REACT_VERSION=${REACT_VERSION:-18.3.1}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DEST="$HERE/../../graphrec/api/static/graphiql"

say() { echo "update.sh: $*" >&2; }
command -v npm >/dev/null 2>&1 || { say "needs npm (Debian: apt-get install npm)"; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" \
  "react-dom@$REACT_VERSION" >/dev/null
for spec in "graphiql-$GRAPHIQL_VERSION" "react-$REACT_VERSION" "react-dom-$REACT_VERSION"; do
  name=${spec%-*}
  mkdir "$name"
  tar -xzf "$spec.tgz" -C "$name"
done

NEW="$WORK/out"
mkdir "$NEW"
cp graphiql/package/dist/index.umd.js "$NEW/graphiql.min.js"
cp graphiql/package/dist/style.css "$NEW/graphiql.min.css"
cp react/package/umd/react.production.min.js "$NEW/react.production.min.js"
cp react-dom/package/umd/react-dom.production.min.js "$NEW/react-dom.production.min.js"

versions() {
  echo "graphiql@$GRAPHIQL_VERSION"
  echo "react@$REACT_VERSION"
  echo "react-dom@$REACT_VERSION"
}
versions >"$NEW/VERSIONS"
{
  echo "The files of this folder are copied unchanged from these npm packages, under the MIT"
  echo "License; each package's LICENSE file follows."
  for spec in $(versions); do
    name=${spec%@*}
    echo
    echo "================================================================================"
    echo "$spec (https://www.npmjs.com/package/$name)"
    echo "================================================================================"
    echo
    cat "$name/package/LICENSE"
  done
} >"$NEW/LICENSES.txt"

mkdir -p "$DEST"
rm -f "$DEST"/*
cp "$NEW"/* "$DEST/"
say "wrote $(cd "$DEST" && realpath --relative-to="$HERE/../.." .):"
ls -l "$DEST" >&2
