#!/usr/bin/env bash
# A full disk and a read-only store: a one-line error that says so, every acknowledged record kept, and
# after kds-fsck --repair (and space freed) the store reads and writes again. Needs root to mount a small
# tmpfs; skips (status 77) where that is impossible.
source "$(dirname "$0")/lib.sh"

small=$TEST_DIR/small
mkdir -p "$small"
if [[ $(id -u) -ne 0 ]] || ! mount -t tmpfs -o size=2m,mode=0700 tmpfs "$small" 2>/dev/null; then
  echo "skipped: mounting a small tmpfs needs root (and a system that allows mounts)"
  exit 77
fi
trap 'umount -l "$small" 2>/dev/null; pkill -9 -P $$ 2>/dev/null || true; rm -rf "$TEST_DIR"' EXIT
export KDS_STORE=$small/store

kds-create-stream full --segment-size 256K
# Far more than fits: kds-put must stop with a clear error, having acknowledged only what it stored.
python3 -c '
import sys
for i in range(200000):
    sys.stdout.write(f"record {i:07d} " + "x" * 80 + "\n")' >"$TEST_DIR/lots"
status=0
: >"$TEST_DIR/acks"
# Fed in chunks of 2000 lines, each sent only once the one before is acknowledged (or 10 s passed), so
# kds-put acknowledges as it goes however fast it runs (ASan makes it slower than the feeder).
python3 -c '
import sys, time
acks = open(sys.argv[2], "rb")
acked = 0
for i, line in enumerate(open(sys.argv[1])):
    sys.stdout.write(line)
    if i % 2000 == 1999:
        sys.stdout.flush()
        deadline = time.time() + 10
        while acked < i + 1 and time.time() < deadline:
            acked += acks.read().count(b"\n")
            time.sleep(0.002)
' "$TEST_DIR/lots" "$TEST_DIR/acks" 2>/dev/null | kds-put full --sync batch --output json >"$TEST_DIR/acks" 2>"$TEST_DIR/err" || status=$?
assert_eq "$status" "1" "kds-put on a full disk exits 1"
assert_eq "$(wc -l <"$TEST_DIR/err")" "1" "one error line"
grep -q "^kds-put: NoSpace: .*No space left on device (the disk is full)" "$TEST_DIR/err" ||
  fail "the error says the disk is full: $(cat "$TEST_DIR/err")"
acked=$(wc -l <"$TEST_DIR/acks")
(( acked > 1000 )) || fail "expected many acknowledged records before the disk filled, got $acked"
kds-get full >"$TEST_DIR/back" 2>"$TEST_DIR/get.err" || fail "reading a full store: $(cat "$TEST_DIR/get.err")"
head -n "$acked" "$TEST_DIR/lots" >"$TEST_DIR/expected"
head -n "$acked" "$TEST_DIR/back" >"$TEST_DIR/back.acked"
assert_files_equal "$TEST_DIR/back.acked" "$TEST_DIR/expected" "every acknowledged record reads back"
kds-fsck --repair >"$TEST_DIR/fsck.out" 2>&1 || true
mount -o remount,size=8m "$small"
echo "after the disk was full" | kds-put full
assert_eq "$(kds-get full | tail -1)" "after the disk was full" "writes work again"
kds-fsck >"$TEST_DIR/fsck.out" 2>&1 || fail "fsck after the repair: $(cat "$TEST_DIR/fsck.out")"

# A read-only store: a clear error, nothing changed, reads still work.
before=$(store_fingerprint)
mount -o remount,ro "$small"
status=0
echo "no" | kds-put full 2>"$TEST_DIR/err" || status=$?
[[ $status -ne 0 ]] || fail "kds-put on a read-only store must fail"
assert_eq "$(wc -l <"$TEST_DIR/err")" "1" "one error line on a read-only store"
grep -q "Read-only file system" "$TEST_DIR/err" || fail "the error names the read-only file system: $(cat "$TEST_DIR/err")"
expect_status 1 kds-create-stream other
grep -q "Read-only file system" "$TEST_DIR/err" || fail "create-stream on a read-only store: $(cat "$TEST_DIR/err")"
assert_eq "$(kds-get full | tail -1)" "after the disk was full" "reads work on a read-only store"
assert_eq "$(store_fingerprint)" "$before" "a read-only store is unchanged"
mount -o remount,rw "$small"
pass
