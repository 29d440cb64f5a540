#!/usr/bin/env bash
# kds-tail: last-N semantics, following new records across shards, segment rolls and reshards, --count,
# quiet exits, and never printing a partly written batch.
source "$(dirname "$0")/lib.sh"

kds-create-stream t --shard-count 2
# Records 1..20 into shard 0 (key a), then 21..30 into shard 1 (key b).
seq 1 20 | kds-put t -k a
sleep 0.01
seq 21 30 | kds-put t -k b
assert_eq "$(kds-tail t --count 10 | tr '\n' ' ')" "21 22 23 24 25 26 27 28 29 30 " "default: last 10 of the stream by arrival"
assert_eq "$(kds-tail t -n 3 --count 3 | tr '\n' ' ')" "28 29 30 " "-n 3 across shards"
assert_eq "$(kds-tail t -n 12 --count 12 | tr '\n' ' ')" "19 20 21 22 23 24 25 26 27 28 29 30 " "last 12 spans both shards in arrival order"
assert_eq "$(kds-tail t --shard-id 0 -n 2 --count 2 | tr '\n' ' ')" "19 20 " "-n 2 of one shard"
assert_eq "$(kds-tail t -n +19 --count 2 | tr '\n' ' ')" "19 20 " "-n +19: from record 19 of each shard"
assert_eq "$(kds-tail t --iterator-type TRIM_HORIZON --count 3 | tr '\n' ' ')" "1 2 3 " "TRIM_HORIZON start"
assert_eq "$(kds-tail t --shard-id 1 --sequence-number 18446744073709551621 --count 2 | tr '\n' ' ')" "26 27 " "AT_SEQUENCE_NUMBER start"
assert_eq "$(kds-tail t -n 2 --count 2 --output json | python3 -c 'import sys,json; print(" ".join(json.loads(l)["PartitionKey"] for l in sys.stdin))')" "b b" "--output json"
expect_error 2 "cannot be combined" kds-tail t -n 3 --iterator-type LATEST
expect_error 2 "lines" kds-tail t -n x
expect_error 3 "Stream nope" kds-tail nope
expect_error 3 "(Could not find shard|Shard) shardId-000000000007" kds-tail t --shard-id 7

# Quiet on SIGPIPE.
set +o pipefail
kds-tail t -n 30 2>"$TEST_DIR/pipe.err" | head -1 >/dev/null
set -o pipefail
assert_eq "$(cat "$TEST_DIR/pipe.err")" "" "kds-tail | head -1 is quiet"

# Starting at the newest record: on a store kds-tail shows when it follows (wait_following); an endpoint
# gives no sign of when kds-tail has its LATEST iterators, so remotely the fresh streams below are read
# from their start, which gives the same records without the race.
from_now=(-n 0)
$REMOTE && from_now=(-n +1)

# Follow: records put after start appear, through a segment roll and a split, a merge and a scaling.
kds-create-stream f --shard-count 2 "${small_segments[@]}"
kds-tail f "${from_now[@]}" -f '%k %s\n' >"$TEST_DIR/follow.out" 2>"$TEST_DIR/follow.err" &
tail_pid=$!
wait_following $tail_pid
python3 -c '
for i in range(1, 401):
    print(f"key{i % 8}:{i:05d}-" + "x" * 40)' >"$TEST_DIR/batch1"
split -l 100 "$TEST_DIR/batch1" "$TEST_DIR/chunk."
for chunk in "$TEST_DIR"/chunk.*; do kds-put f -K : <"$chunk"; done   # separate batches: the 4K segments roll
wait_for_lines "$TEST_DIR/follow.out" 400
kds-split-shard f 0 >/dev/null
python3 -c '
for i in range(401, 601):
    print(f"key{i % 8}:{i:05d}-" + "x" * 40)' | kds-put f -K :
kds-merge-shards f 2 3 >/dev/null 2>&1 || kds-merge-shards f 2 1 >/dev/null 2>&1 || true
kds-update-shard-count f 3 >/dev/null
python3 -c '
for i in range(601, 801):
    print(f"key{i % 8}:{i:05d}-" + "x" * 40)' | kds-put f -K :
kds-update-shard-count f 1 >/dev/null
python3 -c '
for i in range(801, 1001):
    print(f"key{i % 8}:{i:05d}-" + "x" * 40)' | kds-put f -K :
wait_for_lines "$TEST_DIR/follow.out" 1000
sleep 0.2
kill -INT $tail_pid
status=0
wait $tail_pid || status=$?
assert_eq "$status" "130" "SIGINT ends kds-tail with the signal's status"
assert_eq "$(cat "$TEST_DIR/follow.err")" "" "nothing on stderr"
$REMOTE || [[ $(ls "$KDS_STORE/f.stream/shardId-000000000000" | grep -c '\.log$') -ge 2 ]] || fail "expected segment rolls"
python3 - "$TEST_DIR/follow.out" <<'PY' || fail "follow: every record once, per-key order"
import sys, collections
rows = [l.split() for l in open(sys.argv[1])]
values = [int(v.split("-")[0]) for _, v in rows]
assert sorted(values) == list(range(1, 1001)), f"{len(values)} records, {len(set(values))} distinct"
last = collections.defaultdict(int)
for key, v in rows:
    n = int(v.split("-")[0])
    assert n > last[key], (key, n, last[key])
    last[key] = n
PY

# A partly written batch is never printed: half a batch at the end of the newest segment (the local
# follower's business: a kds-serve would have the segment open for writing).
if ! $REMOTE; then
  kds-create-stream torn
  echo before | kds-put torn
  kds-tail torn -n 0 >"$TEST_DIR/torn.out" 2>"$TEST_DIR/torn.err" &
  tail_pid=$!
  wait_following $tail_pid
  seg=$(ls "$KDS_STORE/torn.stream/shardId-000000000000"/*.log | tail -1)
  head -c 70 "$seg" >>"$seg"
  sleep 1.3   # past the fallback poll too
  assert_eq "$(cat "$TEST_DIR/torn.out")" "" "nothing printed for a torn batch"
  echo after | kds-put torn 2>/dev/null
  wait_for_lines "$TEST_DIR/torn.out" 1
  kill $tail_pid; wait $tail_pid 2>/dev/null || true
  assert_eq "$(cat "$TEST_DIR/torn.out")" "after" "the next record after the repair"
  assert_eq "$(cat "$TEST_DIR/torn.err")" "" "no damage reported for a torn tail"
fi

# --count exits after N records even when they arrive later; followers of one shard follow its children.
kds-create-stream c
kds-tail c "${from_now[@]}" --shard-id 0 --count 3 >"$TEST_DIR/count.out" &
tail_pid=$!
wait_following $tail_pid
echo one | kds-put c
kds-split-shard c 0 >/dev/null
printf 'two\nthree\nfour\n' | kds-put c
wait $tail_pid || fail "kds-tail --count failed"
assert_eq "$(tr '\n' ' ' <"$TEST_DIR/count.out")" "one two three " "--count 3 across a split"
# Hundreds of shards: more than the follower keeps open at once.
kds-create-stream wide --shard-count 300
kds-tail wide "${from_now[@]}" >"$TEST_DIR/wide.out" 2>"$TEST_DIR/wide.err" &
tail_pid=$!
wait_following $tail_pid
seq 1 900 | sed 's/.*/&:&/' | kds-put wide -K :
seq 901 1200 | sed 's/.*/&:&/' | kds-put wide -K :
wait_for_lines "$TEST_DIR/wide.out" 1200
kill $tail_pid; wait $tail_pid 2>/dev/null || true
assert_eq "$(sort -n "$TEST_DIR/wide.out" | md5sum)" "$(seq 1 1200 | md5sum)" "every record from 300 shards"
assert_eq "$(cat "$TEST_DIR/wide.err")" "" "nothing on stderr with 300 shards"
pass
