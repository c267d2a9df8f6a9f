#!/usr/bin/env bash
# `make docs`: render every Markdown file of README.md, docs/ and labs/ to
# standalone HTML with a table of contents in build/docs/, keeping the folder
# layout; links between .md files become links between the .html pages.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v pandoc >/dev/null || tools/install-deps.sh
out=build/docs
mkdir -p "$out"
filter=$(mktemp --suffix=.lua)
trap 'rm -f "$filter"' EXIT
cat >"$filter" <<'LUA'
function Link(el)
  el.target = el.target:gsub("%.md(#?)", ".html%1")
  return el
end
LUA
n=0
for md in README.md docs/*.md labs/*.md; do
  [ -f "$md" ] || continue
  html=$out/${md%.md}.html
  mkdir -p "$(dirname "$html")"
  title=$(grep -m1 '^# ' "$md" | sed 's/^# //')
  pandoc "$md" --standalone --toc --lua-filter="$filter" \
    --metadata title="${title:-$md}" --metadata lang=en -o "$html"
  n=$((n + 1))
done
echo "docs: $n pages in $out/"
