#!/usr/bin/env bash
# Split, merge and update-shard-count: Kinesis's rules and messages, lineage, and a kds-put that keeps
# running through reshards without loss, duplication or reordering per key.
source "$(dirname "$0")/lib.sh"

max=340282366920938463463374607431768211455
kds-create-stream r
seq 1 5 | kds-put r -k a
assert_eq "$(kds-split-shard r shardId-000000000000 | tr '\n' ' ')" "shardId-000000000001 shardId-000000000002 " "split prints the children"
kds-describe-stream r --output json >"$TEST_DIR/d.json"
python3 - "$TEST_DIR/d.json" <<'PY' || fail "split lineage and ranges"
import json, sys
shards = json.load(open(sys.argv[1]))["StreamDescription"]["Shards"]
s0, s1, s2 = shards
assert s0["SequenceNumberRange"] == {"StartingSequenceNumber": "0", "EndingSequenceNumber": "4"}, s0
assert s1["ParentShardId"] == "shardId-000000000000" and s2["ParentShardId"] == "shardId-000000000000"
assert "AdjacentParentShardId" not in s1
assert s1["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": "170141183460469231731687303715884105726"}
assert s2["HashKeyRange"] == {"StartingHashKey": "170141183460469231731687303715884105727",
                              "EndingHashKey": "340282366920938463463374607431768211455"}
assert "EndingSequenceNumber" not in s1["SequenceNumberRange"]
assert int(s1["SequenceNumberRange"]["StartingSequenceNumber"]) > int(s0["SequenceNumberRange"]["EndingSequenceNumber"])
PY
before=$(store_fingerprint)
expect_error 2 "InvalidArgumentException: Shard shardId-000000000000 in stream r under account 000000000000 has already been merged or split, and thus is not eligible for merging or splitting." \
  kds-split-shard r 0
expect_error 3 "ResourceNotFoundException: Could not find shard shardId-000000000009 in stream r under account 000000000000." \
  kds-split-shard r shardId-9
expect_error 3 "Could not find shard ABKLFD8 in stream r" kds-split-shard r ABKLFD8
expect_error 3 "ResourceNotFoundException: Stream nope" kds-split-shard nope 0
expect_error 2 "InvalidArgumentException: NewStartingHashKey 1 used in SplitShard\(\) on shard shardId-000000000001 in stream r under account 000000000000 is not both greater than one plus the shard's StartingHashKey 0 and less than the shard's EndingHashKey 170141183460469231731687303715884105726." \
  kds-split-shard r 1 --new-starting-hash-key 1
expect_error 2 "ValidationException: .*newStartingHashKey" kds-split-shard r 1 --new-starting-hash-key 0x10
expect_error 2 "Shards shardId-000000000002 and shardId-000000000001 in stream r under account 000000000000 are not an adjacent pair of shards eligible for merging" \
  kds-merge-shards r 2 1
expect_error 2 "required|SHARD_ID" kds-merge-shards r 1
assert_eq "$(store_fingerprint)" "$before" "refused reshards leave the store unchanged"
# The minimal split seen on AWS, then a merge back, with the lenient id forms.
assert_eq "$(kds-split-shard r shard-1 --new-starting-hash-key 2 | tr '\n' ' ')" "shardId-000000000003 shardId-000000000004 " "minimal split"
assert_eq "$(kds-merge-shards r 3 anything-4)" "shardId-000000000005" "merge prints the child"
kds-describe-stream r --output json | python3 -c '
import json, sys
s = {x["ShardId"]: x for x in json.load(sys.stdin)["StreamDescription"]["Shards"]}
c = s["shardId-000000000005"]
assert c["ParentShardId"] == "shardId-000000000003" and c["AdjacentParentShardId"] == "shardId-000000000004", c
assert c["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": "170141183460469231731687303715884105726"}, c
' || fail "merge lineage"

# update-shard-count: equal ranges, lineage that leads back to the old shards, limits.
assert_eq "$(kds-update-shard-count r 3 | wc -l)" "3" "update-shard-count prints the open shards"
kds-describe-stream r --output json | python3 -c '
import json, sys
shards = json.load(sys.stdin)["StreamDescription"]["Shards"]
open_ = sorted((int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
               for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"])
n, top = 3, 2**128
step = top // n
assert open_ == [(i * step, (i + 1) * step - 1 if i < n - 1 else top - 1) for i in range(n)], open_
ids = {s["ShardId"] for s in shards}
for s in shards:
    for p in ("ParentShardId", "AdjacentParentShardId"):
        assert p not in s or s[p] in ids
' || fail "update-shard-count ranges and lineage"
expect_error 2 "ValidationException: .*targetShardCount.*greater than or equal to 1" kds-update-shard-count r 0
expect_error 5 "LimitExceededException" kds-update-shard-count r 10001
assert_eq "$(kds-update-shard-count r 3 | wc -l)" "3" "already at the target: no change"
before=$(kds-describe-stream r --output json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["StreamDescription"]["Shards"]))')
kds-update-shard-count r 3 >/dev/null
after=$(kds-describe-stream r --output json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["StreamDescription"]["Shards"]))')
assert_eq "$after" "$before" "a no-op scaling adds no shards"

# A split copies nothing: the parent's bytes stay where they are and the children start empty.
kds-create-stream big
# Remotely a tenth: the records have one partition key, which kds-put sends one at a time to keep order.
big_bytes=20000000
$REMOTE && big_bytes=2000000
head -c "$big_bytes" /dev/urandom | base64 -w 100 | kds-put big "${sync_none[@]}"
bytes_before=$(du -sb "$KDS_STORE/big.stream" | cut -f1)
kds-split-shard big 0 >/dev/null
bytes_after=$(du -sb "$KDS_STORE/big.stream" | cut -f1)
(( bytes_after - bytes_before < 100000 )) || fail "split copied data: $bytes_before -> $bytes_after bytes"

# Live: one kds-put keeps running while the stream is split, merged and scaled.
kds-create-stream live --shard-count 2
python3 -u -c '
import sys, time
for i in range(1, 3001):
    print(f"key{i % 16}:{i}")
    if i % 100 == 0:
        sys.stdout.flush()
        time.sleep(0.03)
' | kds-put live -K : --output json >"$TEST_DIR/live.acks" 2>"$TEST_DIR/live.err" &
put_pid=$!
wait_for_lines "$TEST_DIR/live.acks" 300
kds-split-shard live 0 >/dev/null
wait_for_lines "$TEST_DIR/live.acks" 800
kds-split-shard live 1 >/dev/null
wait_for_lines "$TEST_DIR/live.acks" 1300
kds-merge-shards live 3 4 >/dev/null
wait_for_lines "$TEST_DIR/live.acks" 1800
kds-update-shard-count live 5 >/dev/null
wait_for_lines "$TEST_DIR/live.acks" 2300
kds-update-shard-count live 1 >/dev/null
wait $put_pid || fail "kds-put failed during reshards: $(cat "$TEST_DIR/live.err")"
assert_eq "$(cat "$TEST_DIR/live.err")" "" "kds-put says nothing during reshards"
kds-get live -f '%k %s %p %o\n' >"$TEST_DIR/live.out"
kds-describe-stream live --output json >"$TEST_DIR/live.json"
python3 - "$TEST_DIR/live.out" "$TEST_DIR/live.acks" "$TEST_DIR/live.json" <<'PY' || fail "records through live reshards"
import json, sys, collections
rows = [l.split() for l in open(sys.argv[1])]
values = [int(r[1]) for r in rows]
assert sorted(values) == list(range(1, 3001)), "missing or duplicated records"
last = collections.defaultdict(int)
for key, value, shard, seq in rows:
    assert int(value) > last[key], ("per-key order broken", key, value, last[key])
    last[key] = int(value)
acks = [json.loads(l) for l in open(sys.argv[2])]
assert len(acks) == 3000
by_seq = {int(r[3]): int(r[1]) for r in rows}
assert [by_seq[int(a["SequenceNumber"])] for a in acks] == list(range(1, 3001)), "acks do not match records"
shards = json.load(open(sys.argv[3]))["StreamDescription"]["Shards"]
ending = {s["ShardId"]: int(s["SequenceNumberRange"].get("EndingSequenceNumber", -1)) for s in shards}
for key, value, shard, seq in rows:
    if ending[shard] >= 0:
        assert int(seq) <= ending[shard], ("record after its shard closed", shard, seq, ending[shard])
used = {r[2] for r in rows}
print(f"records landed in {len(used)} shards", file=sys.stderr)
assert len(used) >= 4
PY

# Concurrent reshards from several processes serialise while three producers write.
kds-create-stream busy --shard-count 2
for p in 1 2 3; do
  python3 -u -c '
import sys, time
p = sys.argv[1]
for i in range(1, 2001):
    print(f"p{p}k{i % 7}:{i}")
    if i % 50 == 0:
        sys.stdout.flush()
        time.sleep(0.01)
' $p | kds-put busy -K : "${sync_none[@]}" 2>"$TEST_DIR/busy.err.$p" &
done
reshard_loop() {
  for round in 1 2 3 4 5 6; do
    kds-update-shard-count busy $(( (round + $1) % 4 + 1 )) >/dev/null || echo "scale failed" >>"$TEST_DIR/busy.reshard"
    open=$(kds-describe-stream busy --output json | python3 -c '
import json, sys
s = [x for x in json.load(sys.stdin)["StreamDescription"]["Shards"] if "EndingSequenceNumber" not in x["SequenceNumberRange"]]
print(s[0]["ShardId"])')
    # Another process may have closed it meanwhile: then the split is refused, which is fine.
    kds-split-shard busy "$open" >/dev/null 2>&1 || true
  done
}
reshard_loop 0 & r1=$!
reshard_loop 1 & r2=$!
wait $r1 $r2
wait
[[ ! -s "$TEST_DIR/busy.reshard" ]] || fail "a scaling failed: $(cat "$TEST_DIR/busy.reshard")"
cat "$TEST_DIR"/busy.err.* >"$TEST_DIR/busy.err"
assert_eq "$(cat "$TEST_DIR/busy.err")" "" "producers report nothing"
kds-get busy -f '%k %s\n' | python3 -c '
import sys, collections
last = collections.defaultdict(int)
n = 0
for line in sys.stdin:
    key, value = line.split()
    assert int(value) > last[key], (key, value, last[key])
    last[key] = int(value)
    n += 1
assert n == 6000, n
' || fail "records and per-key order after concurrent reshards"
kds-describe-stream busy --output json | python3 -c '
import json, sys
shards = json.load(sys.stdin)["StreamDescription"]["Shards"]
print(len(shards), "shards after concurrent reshards", file=sys.stderr)
assert len(shards) >= 20
' || fail "expected at least ten reshards"

# A reshard killed at any step leaves the stream exactly before or exactly after it.
check_meta() {  # prints the open shards' ranges, failing if they do not tile the key space
  kds-describe-stream "$1" --output json | python3 -c '
import json, sys
shards = json.load(sys.stdin)["StreamDescription"]["Shards"]
ids = {s["ShardId"] for s in shards}
open_ = sorted((int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]), s["ShardId"])
               for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"])
expect = 0
for start, end, sid in open_:
    assert start == expect, ("gap or overlap", open_)
    expect = end + 1
assert expect == 2**128
for s in shards:
    for p in ("ParentShardId", "AdjacentParentShardId"):
        assert p not in s or s[p] in ids, ("dangling lineage", s)
print(" ".join(sid for _, _, sid in open_))'
}
# A tool killed in the middle of a reshard of the store (remotely kds-serve does the reshard, and its kill -9
# is tests/serve/test-kill9.sh's).
points=(reshard.shard-locked reshard.dirs-made atomic-write.before-rename atomic-write.before-dir-sync reshard.published)
$REMOTE && points=()
for point in "${points[@]}"; do
  for op in split merge scale; do
    name="crash-$op-${point//./-}"
    kds-create-stream "$name" --shard-count 2
    seq 1 20 | sed 's/^/k&:/' | kds-put "$name" -K :
    old=$(check_meta "$name")
    case $op in
      split) cmd=(kds-split-shard "$name" 0) ;;
      merge) cmd=(kds-merge-shards "$name" 0 1) ;;
      scale) cmd=(kds-update-shard-count "$name" 3) ;;
    esac
    # (Inside $(...) so that bash's "Killed" notice goes to /dev/null with the rest.)
    status=$(KDS_CRASH_AT=$point "${cmd[@]}" >/dev/null 2>&1; echo $?) 2>/dev/null
    assert_eq "$status" "137" "$op killed at $point"
    now=$(check_meta "$name") || fail "$op killed at $point left inconsistent metadata"
    case $point in
      reshard.published|atomic-write.before-dir-sync) [[ "$now" != "$old" ]] || fail "$op at $point: the change is lost" ;;
      *) assert_eq "$now" "$old" "$op killed at $point changes nothing" ;;
    esac
    # The stream works afterwards: the reshard can be redone, records are all there.
    [[ "$now" == "$old" ]] && "${cmd[@]}" >/dev/null
    seq 21 30 | sed 's/^/k&:/' | kds-put "$name" -K :
    assert_eq "$(kds-get "$name" | sort -n | tr '\n' ' ')" "$(seq 1 30 | tr '\n' ' ')" "records after $op killed at $point"
  done
done
pass
