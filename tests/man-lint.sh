#!/usr/bin/env bash
# A man page must lint clean under mandoc (warnings included) and render under groff with nothing on stderr
# (groff exits 0 even when it warns, so stderr is the verdict).
set -u
page=$1
status=0
if ! out=$(mandoc -T lint -W warning "$page" 2>&1) || [[ -n "$out" ]]; then
  echo "mandoc -T lint -W warning $page:"; echo "$out"; status=1
fi
err=$(groff -man -Tutf8 -ww -z "$page" 2>&1 >/dev/null)
if [[ -n "$err" ]]; then
  echo "groff -ww $page:"; echo "$err"; status=1
fi
exit $status
