#!/usr/bin/env bash
# `make docs`: render every Markdown file of README.md, docs/ and labs/ to
# standalone HTML with a table of contents in build/docs/, keeping the folder
# layout; links between .md files become links between the .html pages.
# Each page is also rendered to PDF beside its HTML (pandoc with the Debian
# package wkhtmltopdf as PDF engine; there, .md links become .pdf links).
# DOCS_PDF=0 skips the PDFs.
set -euo pipefail
cd "$(dirname "$0")/.."
pdf=${DOCS_PDF:-1}
command -v pandoc >/dev/null || tools/install-deps.sh
if [ "$pdf" = 1 ]; then command -v wkhtmltopdf >/dev/null || tools/install-deps.sh; fi
out=build/docs
mkdir -p "$out"
tmpd=$(mktemp -d)
chmod 700 "$tmpd"
filter=$tmpd/links.lua
trap 'rm -rf "$tmpd"' EXIT
cat >"$filter" <<'LUA'
function Link(el)
  -- only relative links to Markdown files: foo.md, ../docs/foo.md#anchor
  if not el.target:match("^%a+:") then
    el.target = el.target:gsub("%.md(#?)", "." .. (os.getenv("KEEL_DOC_EXT") or "html") .. "%1")
  end
  return el
end
LUA
n=0
npdf=0
for md in README.md docs/*.md labs/*.md; do
  [ -f "$md" ] || continue
  html=$out/${md%.md}.html
  mkdir -p "$(dirname "$html")"
  title=$(grep -m1 '^# ' "$md" | sed 's/^# //')
  KEEL_DOC_EXT=html pandoc "$md" --standalone --toc --lua-filter="$filter" \
    --metadata title="${title:-$md}" --metadata lang=en -o "$html"
  n=$((n + 1))
  if [ "$pdf" = 1 ]; then
    # wkhtmltopdf wants no display; its Qt needs a writable runtime folder.
    KEEL_DOC_EXT=pdf QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$tmpd} \
      pandoc "$md" --standalone --toc --lua-filter="$filter" \
      --metadata title="${title:-$md}" --metadata lang=en \
      --pdf-engine=wkhtmltopdf --pdf-engine-opt=--quiet \
      -V margin-top=18mm -V margin-bottom=18mm -V margin-left=18mm -V margin-right=18mm \
      -o "${html%.html}.pdf" 2>"$tmpd/pdf.log" || { cat "$tmpd/pdf.log"; echo "docs: no PDF for $md"; exit 1; }
    npdf=$((npdf + 1))
  fi
done
echo "docs: $n HTML pages and $npdf PDFs in $out/"
