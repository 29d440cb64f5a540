#!/usr/bin/env bash
# Torn tails are repaired silently by readers and explicitly by the next writer; damage elsewhere is
# reported with file and offset, never returned as data, and costs at most the damaged batch.
source "$(dirname "$0")/lib.sh"

shard0() { echo "$KDS_STORE/$1.stream/shardId-000000000000"; }

# --- torn tail: half a batch at the end of the newest segment
kds-create-stream torn
seq 1 100 | kds-put torn
seg=$(ls "$(shard0 torn)"/*.log | tail -1)
size=$(stat -c %s "$seg")
head -c 60 "$seg" >>"$seg"                      # a header and a bit: an append cut short
expect_status 0 kds-get torn
assert_eq "$(wc -l <"$TEST_DIR/out")" "100" "reader returns every complete record before a torn tail"
assert_eq "$(cat "$TEST_DIR/err")" "" "a torn tail is not reported by readers"
echo 101 | kds-put torn 2>"$TEST_DIR/put.err"
grep -q "repaired $seg at byte $size (60 bytes)" "$TEST_DIR/put.err" || fail "writer reports the repair: $(cat "$TEST_DIR/put.err")"
assert_eq "$(kds-get torn | md5sum)" "$(seq 1 101 | md5sum)" "records after repair"
assert_eq "$(kds-get torn -f '%o\n' | tail -1)" "100" "offsets stay dense after repair"

# --- a flipped byte in a sealed segment
kds-create-stream flip --segment-size 4K
for i in $(seq 1 40); do seq $((i * 100)) $((i * 100 + 49)) | kds-put flip --sync none; done
segments=($(ls "$(shard0 flip)"/*.log))
[[ ${#segments[@]} -ge 3 ]] || fail "expected several segments, got ${#segments[@]}"
victim=${segments[1]}
# Flip a byte inside the first batch's payload (after its 48-byte header).
printf '\x5a' | dd of="$victim" bs=1 seek=100 conv=notrunc status=none
expect_status 7 kds-get flip
grep -q "kds-get: Corruption: $victim at byte 0 " "$TEST_DIR/err" || fail "damage reported with file and offset: $(cat "$TEST_DIR/err")"
lines=$(wc -l <"$TEST_DIR/out")
[[ $lines -eq 1950 ]] || fail "exactly the damaged batch (50 records) is lost: got $lines of 2000 records"
# Nothing returned that was not written.
comm -23 <(sort "$TEST_DIR/out") <(for i in $(seq 1 40); do seq $((i * 100)) $((i * 100 + 49)); done | sort) >"$TEST_DIR/extra"
assert_eq "$(cat "$TEST_DIR/extra")" "" "no altered record returned"
# Writers keep working; the damage stays reported.
echo 9999 | kds-put flip
expect_status 7 kds-get flip
assert_eq "$(tail -1 "$TEST_DIR/out")" "9999" "append after damage"

# --- damage in the middle of the newest segment, followed by valid batches: reported, not truncated
kds-create-stream mid
for i in 1 2 3; do seq $((i * 10)) $((i * 10 + 4)) | kds-put mid; done
seg=$(ls "$(shard0 mid)"/*.log | tail -1)
printf '\xff' | dd of="$seg" bs=1 seek=50 conv=notrunc status=none
expect_status 7 kds-get mid
assert_eq "$(tr '\n' ' ' <"$TEST_DIR/out")" "20 21 22 23 24 30 31 32 33 34 " "records after mid-file damage"
# A writer that has to recover the segment (its state is gone) reports the damage and keeps what follows.
rm "$(shard0 mid)/writer.lock"
echo 40 | kds-put mid 2>"$TEST_DIR/put.err"
grep -q "Corruption: $seg at byte 0" "$TEST_DIR/put.err" || fail "recovering writer reports mid-file damage: $(cat "$TEST_DIR/put.err")"
expect_status 7 kds-get mid
assert_eq "$(tr '\n' ' ' <"$TEST_DIR/out")" "20 21 22 23 24 30 31 32 33 34 40 " "writer kept the valid batches"
pass
