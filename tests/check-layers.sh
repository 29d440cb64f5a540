#!/usr/bin/env bash
# The library's layering: every #include "kds/..." in lib/ must point to the including file's own layer or
# a lower one, by the layer table in lib/README.md (between <!-- layers:begin --> and <!-- layers:end -->:
# rows "| rank | layer | what it holds | `header.h` `other.h` ... |"). Also fails when a header of
# lib/include/kds/ is missing from the table, the table names a header that does not exist, or a source
# file has no layer.
#
# usage: check-layers.sh [SOURCE_DIR]   (default: the directory above this script)
set -u
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
readme=$root/lib/README.md
failures=0
fail() {
  echo "check-layers: $*"
  failures=$((failures + 1))
}

if [[ ! -f $readme ]]; then
  echo "check-layers: $readme: missing (it holds the layer table)"
  exit 1
fi

declare -A rank_of_layer  # layer name -> rank
declare -A layer_of       # "status.h", "api/*.h", "src/partition_key_hash.cpp" -> layer name
declare -A row_of         # the same keys -> README line number, for messages

# The table: one row per layer, "| rank | name | prose | `entries` |".
in_table=0
line_no=0
rows=0
while IFS= read -r line; do
  line_no=$((line_no + 1))
  case $line in
    *'<!-- layers:begin -->'*) in_table=1; continue ;;
    *'<!-- layers:end -->'*) in_table=0; continue ;;
  esac
  ((in_table)) || continue
  [[ $line == '|'* ]] || continue
  IFS='|' read -r _ rank layer _ entries _ <<<"$line"
  rank=${rank//[[:space:]]/}
  layer=${layer//[[:space:]]/}
  layer=${layer//\`/}
  [[ $rank =~ ^[0-9]+$ ]] || continue  # the heading and the |---| line
  if [[ -z $layer || -n ${rank_of_layer[$layer]+x} ]]; then
    fail "$readme:$line_no: layer '$layer' is empty or named twice"
    continue
  fi
  rank_of_layer[$layer]=$rank
  rows=$((rows + 1))
  # Entries are the backquoted words of the last column.
  rest=$entries
  while [[ $rest =~ \`([^\`]+)\` ]]; do
    entry=${BASH_REMATCH[1]}
    rest=${rest#*\`"$entry"\`}
    if [[ -n ${layer_of[$entry]+x} ]]; then
      fail "$readme:$line_no: $entry is in layer ${layer_of[$entry]} (line ${row_of[$entry]}) and in layer $layer"
      continue
    fi
    layer_of[$entry]=$layer
    row_of[$entry]=$line_no
  done
done <"$readme"

if ((rows == 0)); then
  echo "check-layers: $readme: no layer table between <!-- layers:begin --> and <!-- layers:end -->"
  exit 1
fi

# The layer of an included name ("kds/x.h", "kds/api/x.h"), or "" when the table has none.
layer_of_include() {
  local name=${1#kds/}
  if [[ -n ${layer_of[$name]+x} ]]; then
    echo "${layer_of[$name]}"
  elif [[ $name == */*.h && -n ${layer_of["${name%%/*}/*.h"]+x} ]]; then
    echo "${layer_of["${name%%/*}/*.h"]}"
  fi
}

# Every header of the core library is in the table, and every header entry names a header that exists.
shopt -s nullglob
for header in "$root"/lib/include/kds/*.h; do
  name=${header##*/}
  [[ -n ${layer_of[$name]+x} ]] || fail "lib/include/kds/$name: not in the layer table of lib/README.md"
done
for entry in "${!layer_of[@]}"; do
  case $entry in
    */'*.h') [[ -d $root/lib/${entry%%/*} ]] || fail "$readme:${row_of[$entry]}: $entry names no directory of lib/" ;;
    src/*) [[ -f $root/lib/$entry ]] || fail "$readme:${row_of[$entry]}: $entry names no file of lib/" ;;
    *) [[ -f $root/lib/include/kds/$entry ]] || fail "$readme:${row_of[$entry]}: $entry names no header of lib/include/kds/" ;;
  esac
done

# The files to check, each with its layer.
declare -a files=()
declare -A file_layer
for header in "$root"/lib/include/kds/*.h; do
  name=${header##*/}
  files+=("$header")
  file_layer[$header]=${layer_of[$name]:-}
done
for source in "$root"/lib/src/*.cpp; do
  name=${source##*/}
  files+=("$source")
  if [[ -n ${layer_of[${name%.cpp}.h]+x} ]]; then
    file_layer[$source]=${layer_of[${name%.cpp}.h]}
  elif [[ -n ${layer_of[src/$name]+x} ]]; then
    file_layer[$source]=${layer_of[src/$name]}
  else
    fail "lib/src/$name: no layer (no kds/${name%.cpp}.h and no src/$name in the table of lib/README.md)"
    file_layer[$source]=
  fi
done
# The libraries above the core (lib/api, lib/serve): each directory is one layer, "DIR/*.h" in the table.
for dir in "$root"/lib/*/; do
  dir=${dir%/}
  part=${dir##*/}
  [[ $part == include || $part == src ]] && continue
  part_layer=${layer_of["$part/*.h"]:-}
  for file in "$dir"/include/kds/"$part"/*.h "$dir"/src/*.cpp "$dir"/src/*.h; do
    files+=("$file")
    file_layer[$file]=$part_layer
    [[ -n $part_layer ]] || fail "${file#"$root"/}: no layer (the table has no $part/*.h entry)"
  done
done

# Every include of a kds header, in quotes or angle brackets.
checked=0
include_re='^[[:space:]]*#[[:space:]]*include[[:space:]]*["<](kds/[^">]+)[">]'
for file in "${files[@]}"; do
  from=${file_layer[$file]}
  [[ -n $from ]] || continue
  from_rank=${rank_of_layer[$from]}
  rel=${file#"$root"/}
  while IFS=: read -r number text; do
    [[ $text =~ $include_re ]] || continue
    target=${BASH_REMATCH[1]}
    checked=$((checked + 1))
    to=$(layer_of_include "$target")
    if [[ -z $to ]]; then
      fail "$rel:$number: #include \"$target\": $target is not in the layer table of lib/README.md"
      continue
    fi
    to_rank=${rank_of_layer[$to]}
    if ((to_rank > from_rank)); then
      fail "$rel:$number: #include \"$target\" points upward: $rel is layer $from ($from_rank), $target is layer $to ($to_rank)"
    fi
  done < <(grep -n '^[[:space:]]*#[[:space:]]*include' "$file")
done

if ((failures > 0)); then
  echo "check-layers: $failures problem(s) in ${#files[@]} files; the layers are in lib/README.md"
  exit 1
fi
echo "check-layers: ${#files[@]} files, $checked kds includes, all within their layers"
