#!/usr/bin/env bash
# The family: `kds COMMAND` dispatch, kds-fsck on healthy and damaged stores, bash completion, and every
# tool's --help and --version.
source "$(dirname "$0")/lib.sh"
SOURCE=${KDS_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}

# --- dispatch: arguments (with spaces), stdin, stdout and exit status pass through untouched
kds create-stream fam --shard-count 2
printf 'a b  c\nsecond line\n' | kds put fam -k 'key with spaces'
assert_eq "$(kds get fam -f '%k|%s\n')" "key with spaces|a b  c
key with spaces|second line" "arguments with spaces and stdin"
assert_eq "$(kds describe-stream fam --output json)" "$(kds-describe-stream fam --output json)" "identical output"
expect_status 3 kds get nosuch
grep -q "^kds-get: ResourceNotFoundException" "$TEST_DIR/err" || fail "the tool's own error line: $(cat "$TEST_DIR/err")"
expect_status 2 kds create-stream 'bad name'
expect_error 2 "did you mean 'describe-stream'" kds describe-stram fam
expect_error 2 "not a kds command" kds frobnicate
expect_status 0 kds --help && grep -q "update-shard-count" "$TEST_DIR/out" || fail "kds --help lists commands"
expect_status 0 kds && grep -q "^Commands:" "$TEST_DIR/out" || fail "kds alone lists commands"
assert_eq "$(kds --version)" "kds (kds) 0.1.0" "kds --version"
kds --store "$TEST_DIR/other" create-stream elsewhere
[[ -d "$TEST_DIR/other/elsewhere.stream" ]] || fail "kds --store DIR passes the store on"
mkdir -p "$TEST_DIR/man/man1" && ln -s "$SOURCE/man/kds-put.1" "$TEST_DIR/man/man1/kds-put.1"
MANPATH="$TEST_DIR/man" MANPAGER=cat kds help put 2>/dev/null | grep -q "kds-put" || fail "kds help put shows the man page"
# SIGPIPE passes through: the tool itself is killed by it, as if run directly.
seq 1 100000 | kds put fam -k k
set +o pipefail
kds get fam 2>"$TEST_DIR/pipe.err" | head -1 >/dev/null
set -o pipefail
assert_eq "$(cat "$TEST_DIR/pipe.err")" "" "quiet SIGPIPE through kds"

# --- fsck: healthy
kds-create-stream f --segment-size 4K --shard-count 2
for i in $(seq 1 30); do seq $((i * 100)) $((i * 100 + 49)) | sed 's/^/k:/' | kds-put f -K : --sync none; done
expect_status 0 kds-fsck f
grep -q "0 problems" "$TEST_DIR/err" || fail "healthy store: $(cat "$TEST_DIR/err")"
grep -q "1500 records" "$TEST_DIR/err" || fail "fsck counts records"

# --- fsck: a flipped byte in a sealed segment is reported with file and offset; kds-get returns no
# altered record and loses at most the damaged batch
shard=$KDS_STORE/f.stream/shardId-000000000001
sealed=$(ls "$shard"/*.log | sed -n 2p)
printf '\x5a' | dd of="$sealed" bs=1 seek=100 conv=notrunc status=none
expect_status 7 kds-fsck f
grep -q "^f shardId-000000000001: $sealed: byte 0: .*damaged bytes; records at offsets" "$TEST_DIR/out" ||
  fail "fsck names file and offset: $(cat "$TEST_DIR/out")"
expect_status 7 kds-get f
assert_eq "$(wc -l <"$TEST_DIR/out")" "1450" "kds-get loses only the damaged batch"
comm -23 <(sort "$TEST_DIR/out") <(for i in $(seq 1 30); do seq $((i * 100)) $((i * 100 + 49)); done | sort) >"$TEST_DIR/extra"
assert_eq "$(cat "$TEST_DIR/extra")" "" "no altered record returned"
expect_status 7 kds-fsck f --repair
grep -q "\[repaired\]" "$TEST_DIR/out" || fail "repair reported"
ls "$shard/quarantine/"*.bad >/dev/null 2>&1 || fail "damaged bytes are quarantined, not dropped"
expect_status 0 kds-fsck f
expect_status 0 kds-get f
assert_eq "$(wc -l <"$TEST_DIR/out")" "1450" "after repair the same records read, without a report"
assert_eq "$(cat "$TEST_DIR/err")" "" "no damage reported after repair"

# --- fsck: a torn tail is reported, repaired, every complete record before it kept, writes work after
newest=$(ls "$shard"/*.log | tail -1)
head -c 70 "$newest" >>"$newest"
expect_status 7 kds-fsck f
grep -q "torn tail of 70 bytes" "$TEST_DIR/out" || fail "torn tail reported: $(cat "$TEST_DIR/out")"
expect_status 7 kds-fsck --repair
expect_status 0 kds-fsck
assert_eq "$(kds-get f | wc -l)" "1450" "every complete record kept"
echo 'k:77777' | kds-put f -K :
assert_eq "$(kds-get f --shard-id 1 | tail -1)" "77777" "writes work after repair"
expect_status 0 kds-fsck

# --- fsck: a damaged index is rebuilt; leftovers are removed with --gc
idx=$(ls "$shard"/*.idx | head -1)
printf 'garbage garbage garbage garbage!!' >>"$idx"
echo '{}' >"$KDS_STORE/f.stream/stream.json.tmp"
expect_status 7 kds-fsck f
grep -q "index does not match" "$TEST_DIR/out" || fail "bad index reported: $(cat "$TEST_DIR/out")"
grep -q "leftover temporary file" "$TEST_DIR/out" || fail "leftover reported"
expect_status 7 kds-fsck f --repair
expect_status 0 kds-fsck f

# --- a writer that lost its state never cuts valid data after damage in a sealed segment
kds-create-stream w --segment-size 4K
for i in $(seq 1 20); do seq $((i * 100)) $((i * 100 + 49)) | kds-put w --sync none; done
wshard=$KDS_STORE/w.stream/shardId-000000000000
before_newest=$(ls "$wshard"/*.log | tail -2 | head -1)
printf '\x5a' | dd of="$before_newest" bs=1 seek=100 conv=notrunc status=none
rm "$wshard/writer.lock"
echo 99999 | kds-put w 2>"$TEST_DIR/w.err" || fail "put after damage: $(cat "$TEST_DIR/w.err")"
expect_status 7 kds-get w
assert_eq "$(wc -l <"$TEST_DIR/out")" "951" "only the damaged batch is skipped, nothing cut"
expect_status 7 kds-fsck w
grep -q "damaged bytes" "$TEST_DIR/out" || fail "fsck still sees the damage: $(cat "$TEST_DIR/out")"

# --- a closed shard cut short at a batch boundary: readers report the missing records, fsck marks them
kds-create-stream cs --segment-size 4K
for i in $(seq 1 5); do seq $((i * 100)) $((i * 100 + 49)) | kds-put cs --sync none; done
kds-split-shard cs 0 >/dev/null
parent=$KDS_STORE/cs.stream/shardId-000000000000
newest=$(ls "$parent"/*.log | tail -1)
last=$(python3 - "$newest" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
pos = last = 0
while pos + 48 <= len(data):
    last = pos
    pos += 48 + struct.unpack_from("<I", data, pos + 12)[0]
print(last)
PY
)
truncate -s "$last" "$newest"
expect_status 7 kds-get cs
grep -q "closed shard ends early; records at offsets 200..249 are missing" "$TEST_DIR/err" ||
  fail "missing records at the end of a closed shard reported: $(cat "$TEST_DIR/err")"
assert_eq "$(wc -l <"$TEST_DIR/out")" "200" "the records before the cut"
expect_status 7 kds-fsck cs --repair
grep -q "closed shard ends early; records at offsets 200..249 are missing \[repaired\]" "$TEST_DIR/out" || fail "fsck marks them: $(cat "$TEST_DIR/out")"
expect_status 0 kds-fsck cs
expect_status 0 kds-get cs
assert_eq "$(wc -l <"$TEST_DIR/out")" "200" "the same records, without a report"

# --- fsck: damaged metadata is one problem line naming the file once; the store is left as it was
kds-create-stream meta
cp "$KDS_STORE/meta.stream/stream.json" "$TEST_DIR/meta.json"
sed -i 's/"RetentionPeriodHours": 24/"RetentionPeriodHours": 24.5/' "$KDS_STORE/meta.stream/stream.json"
cp "$KDS_STORE/meta.stream/stream.json" "$TEST_DIR/meta.damaged"
expect_status 7 kds-fsck meta --repair
assert_eq "$(cat "$TEST_DIR/out")" \
  "meta: $KDS_STORE/meta.stream/stream.json: byte 0: not valid stream metadata: RetentionPeriodHours is not an integer" \
  "fsck reports damaged metadata once"
cmp -s "$KDS_STORE/meta.stream/stream.json" "$TEST_DIR/meta.damaged" || fail "fsck --repair left stream.json alone"
expect_error 1 "Corruption: .*stream.json: not valid stream metadata" kds-get meta
cp "$TEST_DIR/meta.json" "$KDS_STORE/meta.stream/stream.json"
expect_status 0 kds-fsck meta

# --- completion loads in bash and completes commands, options, streams and shard ids
printf '[default]\nregion = eu-west-1\n[profile dev]\nregion = us-east-1\n' >"$TEST_DIR/aws-config"
AWS_CONFIG_FILE="$TEST_DIR/aws-config" AWS_SHARED_CREDENTIALS_FILE=/dev/null bash -c "
  set -e
  source '$SOURCE/completion/kds.bash'
  complete -p kds-get >/dev/null
  COMP_WORDS=(kds des); COMP_CWORD=1; _kds; [[ \" \${COMPREPLY[*]} \" == *' describe-stream '* ]]
  COMP_WORDS=(kds-get --out); COMP_CWORD=1; _kds_command; [[ \" \${COMPREPLY[*]} \" == *' --output '* ]]
  COMP_WORDS=(kds-get f); COMP_CWORD=1; _kds_command; [[ \" \${COMPREPLY[*]} \" == *' fam '* ]]
  COMP_WORDS=(kds-get f --shard-id ''); COMP_CWORD=3; _kds_command; [[ \" \${COMPREPLY[*]} \" == *' shardId-000000000001 '* ]]
  COMP_WORDS=(kds get fa); COMP_CWORD=2; _kds; [[ \" \${COMPREPLY[*]} \" == *' fam '* ]]
  COMP_WORDS=(kds-get f --iterator-type AT_); COMP_CWORD=3; _kds_command; [[ \${#COMPREPLY[@]} == 2 ]]
  COMP_WORDS=(kds-create-stream s --mode on); COMP_CWORD=3; _kds_command; [[ \${COMPREPLY[*]} == on-demand ]]
  COMP_WORDS=(kds-list-streams --profile ''); COMP_CWORD=2; _kds_command; [[ \${COMPREPLY[*]} == 'default dev' ]]
" 2>"$TEST_DIR/completion.err" || fail "completion: $(cat "$TEST_DIR/completion.err")"
assert_eq "$(cat "$TEST_DIR/completion.err")" "" "completion loads without errors"

# --- the one list of commands, apps/commands.txt: each command has its program, its man page, its line in
# `kds --help` and in kds(1), and completion; each tool source and tool man page is in the list
mapfile -t commands < <(sed -E '/^[[:space:]]*(#|$)/d; s/[[:space:]].*//' "$SOURCE/apps/commands.txt")
[[ ${#commands[@]} -gt 0 ]] || fail "apps/commands.txt lists no command"
kds --help >"$TEST_DIR/help"
assert_eq "$(awk '/^Commands:/ {on = 1; next} on && NF {print $1} !NF && on {exit}' "$TEST_DIR/help")" \
  "$(printf '%s\n' "${commands[@]}")" "kds --help lists the commands of apps/commands.txt, in order"
for name in "${commands[@]}"; do
  summary=$(sed -nE "s/^${name}[[:space:]]+(.*[^[:space:]])[[:space:]]*\$/\1/p" "$SOURCE/apps/commands.txt")
  grep -qFx -- "$(printf '  %-25s%s' "$name" "$summary")" "$TEST_DIR/help" || fail "$name: kds --help lacks its line"
  [[ -x "$KDS_BIN/kds-$name" ]] || fail "$name: no program kds-$name in $KDS_BIN"
  [[ -f "$SOURCE/man/kds-$name.1" ]] || fail "$name: no man page man/kds-$name.1"
  grep -qFx -- ".B ${name//-/\\-}" "$SOURCE/man/kds.1" || fail "$name: not under COMMANDS in man/kds.1"
  grep -qF -- ".BR kds\\-${name//-/\\-} (1)" "$SOURCE/man/kds.1" || fail "$name: kds(1) does not refer to kds-$name(1)"
done
for source in "$SOURCE"/apps/kds-*.cpp "$SOURCE"/man/kds-*.1; do
  name=$(basename "$source")
  name=${name#kds-}
  name=${name%.*}
  [[ " ${commands[*]} " == *" $name "* ]] || fail "${source#"$SOURCE"/} is not in apps/commands.txt"
done
bash -c 'source "$1/completion/kds.bash"; shift; for name; do complete -p "kds-$name" >/dev/null || exit 1; done' \
  _ "$SOURCE" "${commands[@]}" 2>"$TEST_DIR/completion.err" ||
  fail "completion is not registered for every command: $(cat "$TEST_DIR/completion.err")"

# --- every tool: --help (with a pointer to its man page) and --version
for tool in "$KDS_BIN"/kds-*; do
  name=$(basename "$tool")
  expect_status 0 "$name" --help && grep -q "See $name(1)" "$TEST_DIR/out" || fail "$name --help"
  expect_status 0 "$name" --version && assert_eq "$(cat "$TEST_DIR/out")" "$name (kds) 0.1.0" "$name --version"
  [[ -f "$SOURCE/man/$name.1" ]] || fail "$name has no man page"
done
pass
