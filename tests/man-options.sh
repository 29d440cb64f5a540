#!/usr/bin/env bash
# Every long option a tool's --help lists appears in the OPTIONS of its man page.
set -u
tool=$1 page=$2
[[ -f "$page" ]] || { echo "no man page $page for $tool"; exit 1; }
rendered=$(MANWIDTH=200 man -l "$page" 2>/dev/null | col -b)
status=0
for option in $("$tool" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
  if ! grep -qF -- "$option" <<<"$rendered"; then
    echo "$page does not mention $option"; status=1
  fi
done
exit $status
