#!/usr/bin/env bash
# Retention: exact expiry at read time, no resurrection after a raise, segments deleted once expired,
# the size cap keeps the newest records, expired closed shards vanish, bounds and messages.
source "$(dirname "$0")/lib.sh"
command -v faketime >/dev/null || { echo "faketime is not installed (scripts/install-deps installs it)"; exit 1; }

# libfaketime preloaded directly, not through the faketime wrapper: the wrapper reports a killed child as
# status 1 (the crash tests need the signal), and it names a semaphore after its pid, so a stale one left
# by a killed run makes a later wrapper with the same pid fail ("sem_open: File exists").
libfaketime=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
[[ -n $libfaketime ]] || { echo "libfaketime.so.1 not found (scripts/install-deps installs faketime)"; exit 1; }
at() {  # at 'YYYY-MM-DD hh:mm:ss' CMD...: run CMD with the clock starting at that time
  local when=$1
  shift
  FAKETIME="@$when" LD_PRELOAD="$libfaketime" "$@"
}
at_killable() { at "$@"; }

file_bytes() { find "$1" -type f -printf '%s\n' | awk '{ total += $1 } END { print total + 0 }'; }

# --- expiry at the boundary (24 h)
at '2026-01-01 00:00:00' kds-create-stream r
echo early | at '2026-01-01 00:00:00' kds-put r
echo later | at '2026-01-01 06:00:00' kds-put r
assert_eq "$(at '2026-01-01 23:59:58' kds-get r | tr '\n' ' ')" "early later " "both visible just before 24 h"
assert_eq "$(at '2026-01-02 00:00:02' kds-get r | tr '\n' ' ')" "later " "the first expires 24 h after arrival"
assert_eq "$(at '2026-01-02 00:00:02' kds-get r 0 2>&1 >/dev/null | grep -c ResourceNotFoundException)" "1" \
  "an expired record cannot be fetched by number"
assert_eq "$(at '2026-01-02 00:00:02' kds-tail r -n 5 --count 1)" "later" "kds-tail does not show expired records"
at '2026-01-02 00:00:02' kds-describe-stream r >"$TEST_DIR/d.txt"
grep -qE '^shardId-000000000000 +open +1 ' "$TEST_DIR/d.txt" || fail "describe counts only retained records: $(cat "$TEST_DIR/d.txt")"
grep -q '2026-01-01T06:00:00' "$TEST_DIR/d.txt" || fail "describe shows the oldest retained arrival"

# --- raising the period does not bring expired records back; lowering hides more at once
at '2026-01-02 00:00:03' kds-set-retention r 48
assert_eq "$(at '2026-01-02 00:00:04' kds-get r | tr '\n' ' ')" "later " "no resurrection after raising to 48 h"
assert_eq "$(at '2026-01-02 12:00:00' kds-get r | tr '\n' ' ')" "later " "later still visible under 48 h"
echo newest | at '2026-01-02 12:00:00' kds-put r
at '2026-01-02 12:00:01' kds-set-retention r 1d
assert_eq "$(at '2026-01-02 12:00:02' kds-get r | tr '\n' ' ')" "newest " "lowering hides older records at once"

# --- bounds and messages
expect_error 2 "InvalidArgumentException: Minimum allowed retention period is 24 hours. Requested retention period \(23 hours\) is too short." \
  kds-set-retention r 23
expect_error 2 "InvalidArgumentException: Maximum allowed retention period is 8760 hours. Requested retention period \(8761 hours\) is too long." \
  kds-set-retention r 8761
expect_error 2 "not a number of hours" kds-set-retention r abc
expect_error 2 "not a size" kds-set-retention r 48 --max-bytes lots
expect_error 3 "ResourceNotFoundException: Stream nope" kds-set-retention nope 48
kds-set-retention r 36h
grep -q '"RetentionPeriodHours": 36' "$KDS_STORE/r.stream/stream.json" || fail "36h"
kds-set-retention r 7d
kds-describe-stream r --output json | python3 -c 'import json,sys; assert json.load(sys.stdin)["StreamDescription"]["RetentionPeriodHours"] == 168' || fail "7d"

# --- expired segments are deleted (bytes on disk drop); the newest records stay
at '2026-02-01 00:00:00' kds-create-stream seg --segment-size 4K
for hour in 00 01 02 03 04 05; do
  seq 1 300 | sed "s/^/$hour-/" | at "2026-02-01 $hour:00:00" kds-put seg --sync none
done
before=$(file_bytes "$KDS_STORE/seg.stream")
segments_before=$(ls "$KDS_STORE/seg.stream/shardId-000000000000" | grep -c '\.log$')
# 24 h after hour 03: hours 00..03 have expired; the next append deletes their segments.
echo fresh | at '2026-02-02 03:30:00' kds-put seg
after=$(file_bytes "$KDS_STORE/seg.stream")
segments_after=$(ls "$KDS_STORE/seg.stream/shardId-000000000000" | grep -c '\.log$')
(( after < before / 2 )) || fail "expired segments were not deleted: $before -> $after bytes"
(( segments_after < segments_before )) || fail "segment count $segments_before -> $segments_after"
assert_eq "$(at '2026-02-02 03:30:01' kds-get seg --limit 1)" "04-1" "the oldest retained record"
assert_eq "$(at '2026-02-02 03:30:01' kds-get seg | wc -l)" "601" "retained records"
assert_eq "$(at '2026-02-02 03:30:01' kds-get seg -f '%o\n' --limit 1)" "1200" "offsets keep counting"

# --- kds-set-retention reclaims too, even with no writer: everything expired, the active segment rolls
at '2026-02-05 00:00:00' kds-set-retention seg 24
assert_eq "$(at '2026-02-05 00:00:01' kds-get seg | wc -l)" "0" "all expired"
left=$(find "$KDS_STORE/seg.stream/shardId-000000000000" -name '*.log' -size +0 | wc -l)
assert_eq "$left" "0" "no segment with data left"
echo after | at '2026-02-05 00:00:02' kds-put seg
assert_eq "$(at '2026-02-05 00:00:03' kds-get seg -f '%o %s\n')" "1801 after" "the next record continues the offsets"

# --- the size cap keeps the newest records
kds-create-stream cap --segment-size 16K --max-bytes 64K
pad=$(printf 'x%.0s' $(seq 1 100))
for i in $(seq 1 40); do seq $((i * 1000)) $((i * 1000 + 99)) | sed "s/\$/ $pad/" | kds-put cap --sync none; done
size=$(file_bytes "$KDS_STORE/cap.stream/shardId-000000000000")
(( size <= 64 * 1024 + 16 * 1024 + 8192 )) || fail "shard holds $size bytes with a 64K cap"
assert_eq "$(kds-get cap | tail -1 | cut -d' ' -f1)" "40099" "the newest record is kept"
first=$(kds-get cap --limit 1 | cut -d' ' -f1)
(( first > 1000 )) || fail "the oldest records should be gone, first is $first"
# One long run holds the cap too: it is enforced whenever a segment is rolled, not once a minute.
kds-create-stream burst --segment-size 16K --max-bytes 64K
seq 1 4000 | sed "s/\$/ $pad/" | kds-put burst --sync none
# kds-put's batches may be larger than a segment (a batch is never split): what is over the cap is the
# segment being written, nothing older.
shard_dir="$KDS_STORE/burst.stream/shardId-000000000000"
newest=$(find "$shard_dir" -name '*.log' -printf '%f\n' | sort | tail -1)
older=$(( $(file_bytes "$shard_dir") - $(stat -c %s "$shard_dir/$newest" "$shard_dir/${newest%.log}.idx" | awk '{ t += $1 } END { print t }') ))
(( older <= 64 * 1024 + 80 )) || fail "shard holds $older bytes besides its newest segment after one long run with a 64K cap"
assert_eq "$(kds-get burst | tail -1 | cut -d' ' -f1)" "4000" "the newest record is kept after one long run"
first=$(kds-get burst --limit 1 | cut -d' ' -f1)
(( first > 1000 )) || fail "one long run: the oldest records should be gone, first is $first"
kds-describe-stream cap >"$TEST_DIR/cap.txt"
grep -q 'Size cap      64 KiB per shard' "$TEST_DIR/cap.txt" || fail "describe shows the cap"
kds-set-retention cap 24 --max-bytes none
kds-describe-stream cap >"$TEST_DIR/cap.txt"
grep -q 'Size cap      none' "$TEST_DIR/cap.txt" || fail "--max-bytes none removes the cap"

# --- expired closed shards vanish; their children stay readable
at '2026-03-01 00:00:00' kds-create-stream lin
seq 1 5 | sed 's/^/k:/' | at '2026-03-01 00:00:00' kds-put lin -K :
at '2026-03-01 01:00:00' kds-split-shard lin 0 >/dev/null
seq 6 10 | sed 's/^/k:/' | at '2026-03-01 02:00:00' kds-put lin -K :
shards=$(at '2026-03-01 23:59:00' kds-describe-stream lin --output json | python3 -c 'import json,sys; print(" ".join(s["ShardId"][-1] for s in json.load(sys.stdin)["StreamDescription"]["Shards"]))')
assert_eq "$shards" "0 1 2" "the parent is listed before it expires"
# Its newest record arrived at 00:00 and expires 24 h later, though the shard was closed at 01:00.
shards=$(at '2026-03-02 00:00:30' kds-describe-stream lin --output json | python3 -c 'import json,sys; print(" ".join(s["ShardId"][-1] for s in json.load(sys.stdin)["StreamDescription"]["Shards"]))')
assert_eq "$shards" "1 2" "the expired parent is no longer listed"
assert_eq "$(at '2026-03-02 01:30:00' kds-get lin | tr '\n' ' ')" "6 7 8 9 10 " "children still read"
echo 11 | sed 's/^/k:/' | at '2026-03-02 01:30:00' kds-put lin -K :
[[ ! -d "$KDS_STORE/lin.stream/shardId-000000000000" ]] || fail "the expired parent's files are removed"
at '2026-03-02 01:30:01' kds-describe-stream lin --output json | python3 -c '
import json, sys
s = json.load(sys.stdin)["StreamDescription"]["Shards"]
assert all(x["ParentShardId"] == "shardId-000000000000" for x in s), s' || fail "children keep their lineage"

# --- a retention deletion killed mid-way leaves nothing kds-fsck complains about once a writer has run
at '2026-04-01 00:00:00' kds-create-stream kr --segment-size 4K
for hour in 00 01 02; do seq 1 200 | sed "s/^/$hour-/" | at "2026-04-01 $hour:00:00" kds-put kr --sync none; done
status=$(echo x | KDS_CRASH_AT=retention.log-deleted at_killable '2026-04-02 01:30:00' kds-put kr >/dev/null 2>&1; echo $?) 2>/dev/null
assert_eq "$status" "137" "kds-put killed between deleting a segment and its index"
echo y | at '2026-04-02 01:30:01' kds-put kr
at '2026-04-02 01:30:02' kds-fsck kr >"$TEST_DIR/fsck.out" 2>&1 || fail "fsck after an interrupted segment deletion: $(cat "$TEST_DIR/fsck.out")"
# (x was never stored: the deletion runs before the append it precedes.)
assert_eq "$(at '2026-04-02 01:30:03' kds-get kr | tail -2 | tr '\n' ' ')" "02-200 y " "records after the interrupted deletion"
# ... and an expired shard's removal killed between unlisting it and removing its files.
seq 1 5 | sed 's/^/k:/' | at '2026-04-02 02:00:00' kds-put kr -K :
at '2026-04-02 02:00:00' kds-split-shard kr 0 >/dev/null
status=$(KDS_CRASH_AT=retention.shards-unlisted at_killable '2026-04-03 03:00:00' kds-set-retention kr 24 >/dev/null 2>&1; echo $?) 2>/dev/null
assert_eq "$status" "137" "kds-set-retention killed after unlisting an expired shard"
[[ -d "$KDS_STORE/kr.stream/shardId-000000000000" ]] || fail "the crash left the unlisted directory"
echo z | sed 's/^/k:/' | at '2026-04-03 03:00:01' kds-put kr -K :
[[ ! -d "$KDS_STORE/kr.stream/shardId-000000000000" ]] || fail "the next writer removes the unlisted directory"
at '2026-04-03 03:00:02' kds-fsck kr >"$TEST_DIR/fsck.out" 2>&1 || fail "fsck after an interrupted shard removal: $(cat "$TEST_DIR/fsck.out")"

# --- retention during a concurrent kds-put and kds-tail: the follower sees every record
kds-create-stream live --segment-size 8K --max-bytes 32K
kds-tail live -n 0 >"$TEST_DIR/live.out" &
tail_pid=$!
wait_following $tail_pid
for i in $(seq 1 30); do seq $((i * 100)) $((i * 100 + 49)) | kds-put live --sync none; done
kds-set-retention live 48 --max-bytes 16K
wait_for_lines "$TEST_DIR/live.out" 1500
kill $tail_pid; wait $tail_pid 2>/dev/null || true
assert_eq "$(wc -l <"$TEST_DIR/live.out")" "1500" "the follower saw every record while segments were deleted"
pass
