#!/usr/bin/env bash
# CI guard: src/generated/ must be exactly what scripts/generate-types.sh makes from
# proto/runtime/v1/api.proto and proto/loader-options.json. Fails (and shows the diff) when
# someone edited the proto or the options without regenerating, or hand-edited a generated file.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/generate-types.sh

# `git status` rather than `git diff`: a new message makes a new, untracked file that a diff
# misses; and status only reads the index, so it is safe in a tree others are committing in.
changes="$(git status --porcelain --untracked-files=all -- src/generated)"
if [[ -n "$changes" ]]; then
  echo "$changes" >&2
  git --no-pager diff -- src/generated >&2
  echo "src/generated is out of date: run 'npm run generate' and commit the result." >&2
  exit 1
fi
echo "src/generated is up to date."
