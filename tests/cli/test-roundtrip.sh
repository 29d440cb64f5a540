#!/usr/bin/env bash
# Byte-exact round trips: 100k varied lines, and NUL-separated binary records.
source "$(dirname "$0")/lib.sh"
# Remotely 10k: the lines have one partition key, which kds-put sends one record per request to keep order.
lines=100000
$REMOTE && lines=10000

python3 - "$TEST_DIR/lines" "$lines" <<'PY'
import random, sys
random.seed(7)
alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\t\r\"\\{}[]:,;é日本語ü🙂"
with open(sys.argv[1], "w", encoding="utf-8", newline="") as f:
    for i in range(int(sys.argv[2])):
        r = random.random()
        if r < 0.01:
            line = ""
        elif r < 0.02:
            line = "x" * random.randint(10000, 200000)
        else:
            line = "".join(random.choice(alphabet) for _ in range(random.randint(1, 150)))
        f.write(line + "\n")
PY

kds-create-stream text
kds-put text <"$TEST_DIR/lines"
kds-get text >"$TEST_DIR/back"
assert_files_equal "$TEST_DIR/back" "$TEST_DIR/lines" "$lines lines round trip"
assert_eq "$(kds-get text | wc -l)" "$lines" "record count"

# The same through a file operand and -D with a two-byte delimiter.
kds-create-stream text2
kds-put text2 "$TEST_DIR/lines"
kds-get text2 >"$TEST_DIR/back2"
assert_files_equal "$TEST_DIR/back2" "$TEST_DIR/lines" "file operand round trip"

python3 - "$TEST_DIR/binary" <<'PY'
import random, sys
random.seed(11)
with open(sys.argv[1], "wb") as f:
    for i in range(5000):
        data = bytes(random.choice([b for b in range(256) if b != 0]) for _ in range(random.randint(0, 300)))
        f.write(data + b"\0")
PY
kds-create-stream bin
kds-put bin -0 <"$TEST_DIR/binary"
kds-get bin -0 >"$TEST_DIR/binary.back"
assert_files_equal "$TEST_DIR/binary.back" "$TEST_DIR/binary" "NUL-separated binary round trip"

# JSON output carries the same bytes in base64.
kds-get bin --output json --limit 50 | python3 -c '
import base64, json, sys
want = open(sys.argv[1], "rb").read().split(b"\0")[:50]
got = [base64.b64decode(json.loads(l)["Data"]) for l in sys.stdin]
sys.exit(0 if got == want else 1)' "$TEST_DIR/binary" || fail "JSON Data does not decode to the records"

# Multi-byte delimiter and a last record without a delimiter.
kds-create-stream delim
printf 'one<>two<><>three' | kds-put delim -D '<>'
assert_eq "$(kds-get delim -f '[%s]')" "[one][two][][three]" "-D multi-byte delimiter"

# Every durability mode stores the same records and acknowledges each once, in input order; a slow
# producer under --sync interval gets its records synced by the worker while input pauses.
modes=(none batch interval:20)
$REMOTE && modes=(endpoint)  # the endpoint's durability, not kds-put's
for mode in "${modes[@]}"; do
  sync=(--sync "$mode")
  [[ $mode == endpoint ]] && sync=()
  kds-create-stream "sync-${mode%%:*}" --shard-count 3
  python3 -u -c '
import sys, time
for i in range(1, 3001):
    print(f"k{i % 13} {i}")
    if i % 500 == 0:
        sys.stdout.flush()
        time.sleep(0.05)
' | kds-put "sync-${mode%%:*}" -K ' ' "${sync[@]}" --output json >"$TEST_DIR/acks.$mode" ||
    fail "kds-put --sync $mode"
  assert_eq "$(wc -l <"$TEST_DIR/acks.$mode")" "3000" "--sync $mode acknowledges every record"
  kds-get "sync-${mode%%:*}" -f '%o %s\n' >"$TEST_DIR/stored.$mode"
  python3 - "$TEST_DIR/acks.$mode" "$TEST_DIR/stored.$mode" <<'PY' || fail "--sync $mode acknowledgements"
import json, sys
acks = [int(json.loads(line)["SequenceNumber"]) for line in open(sys.argv[1])]
stored = dict(line.split() for line in open(sys.argv[2]))
assert len(set(acks)) == 3000 and all(str(s) in stored for s in acks)
assert [stored[str(s)] for s in acks] == [str(i) for i in range(1, 3001)]  # ack i is record i
PY
done
pass
