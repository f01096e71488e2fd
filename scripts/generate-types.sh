#!/usr/bin/env bash
# Regenerates src/generated/ (TypeScript types for the CRI proto) with proto-loader-gen-types.
#
# The loader options live once, in proto/loader-options.json: src/grpc/proto-options.ts reads that
# file for loadSync, and this script turns the same file into generator flags, so the types can
# never describe a different decoding than the one the server does (e.g. int64 as string). JSON
# rather than a .ts or .mjs module because both a shell script on Node 20 (which cannot import
# .ts) and the compiled server must read it; values like "String" name the constructor that
# proto-options.ts passes to proto-loader and are exactly the spelling the generator's flags take.
#
# Output is deterministic: the directory is wiped first so removed types disappear, and the
# generator writes files in proto order with no timestamps. scripts/check-generated.sh reruns
# this and fails on any diff.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

OUT=src/generated
OPTIONS=proto/loader-options.json

# {"keepCase":true,"longs":"String"} -> --keepCase --longs String (one per line, for mapfile).
mapfile -t OPTION_FLAGS < <(node -e '
  const options = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  for (const [key, value] of Object.entries(options)) {
    if (value === true) console.log(`--${key}`);
    else if (typeof value === "string") console.log(`--${key}`, value);
    else if (value !== false) throw new Error(`${process.argv[1]}: unsupported value for ${key}`);
  }
' "$OPTIONS" | tr ' ' '\n')

rm -rf "$OUT"
node_modules/.bin/proto-loader-gen-types \
  "${OPTION_FLAGS[@]}" \
  --includeComments \
  --grpcLib @grpc/grpc-js \
  --importFileExtension .js \
  --includeDirs proto \
  --outDir "$OUT" \
  runtime/v1/api.proto
