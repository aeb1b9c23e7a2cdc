#!/usr/bin/env bash
# Refreshes the GraphiQL assets the gateway serves at `/` (api/assets/graphiql/): the pinned npm packages are fetched
# from the npm registry, checked against their published integrity, and their browser bundles stored gzipped. The
# binary embeds them, so GraphiQL works with no internet at run time (no CDN). Run it only to change a version.
set -euo pipefail
cd "$(dirname "$0")/.."
out=api/assets/graphiql
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# package@version  file inside the package  name served
assets=(
  "graphiql@3.8.3 graphiql.min.js graphiql.min.js"
  "graphiql@3.8.3 graphiql.min.css graphiql.min.css"
  "react@18.3.1 umd/react.production.min.js react.production.min.js"
  "react-dom@18.3.1 umd/react-dom.production.min.js react-dom.production.min.js"
  "graphql-ws@5.16.0 umd/graphql-ws.min.js graphql-ws.min.js"
)

mkdir -p "$out"
for asset in "${assets[@]}"; do
  read -r package file name <<<"$asset"
  dir="$work/${package//[@\/]/_}"
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir"
    # npm pack verifies the tarball against the registry's integrity hash.
    (cd "$dir" && npm pack "$package" --silent >/dev/null && tar xzf ./*.tgz)
  fi
  gzip -9 -n -c "$dir/package/$file" >"$out/$name.gz"
  echo "$package $file -> $out/$name.gz ($(wc -c <"$out/$name.gz") bytes)"
done
