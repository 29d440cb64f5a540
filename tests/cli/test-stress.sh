#!/usr/bin/env bash
# Concurrency stress (bounded): three producers, a resharding loop that also turns compression on and
# off, and two kds-tail followers at once.
# The final read and both followers see every record exactly once, in per-key order.
source "$(dirname "$0")/lib.sh"

kds-create-stream s --shard-count 2 --segment-size 16K
kds-tail s --iterator-type TRIM_HORIZON -f '%k %s\n' >"$TEST_DIR/follow1" 2>"$TEST_DIR/follow1.err" &
f1=$!
kds-tail s -n 0 -f '%k %s\n' >"$TEST_DIR/follow2" 2>"$TEST_DIR/follow2.err" &
f2=$!
wait_following $f1
wait_following $f2
producers=()
for p in 1 2 3; do
  python3 -u -c '
import sys, time
p = sys.argv[1]
for i in range(1, 3001):
    print(f"p{p}k{i % 11}:{i}")
    if i % 60 == 0:
        sys.stdout.flush()
        time.sleep(0.01)
' $p | kds-put s -K : --sync none 2>"$TEST_DIR/put.err.$p" &
  producers+=($!)
done
(
  for round in 1 2 3 4 5 6 7 8; do
    kds-update-shard-count s $((round % 4 + 1)) >/dev/null || echo "scale $round failed" >&2
    # Alternate compression: producers write some batches directly and some through the zstd worker.
    if ((round % 2)); then level=zstd:1; else level=none; fi
    kds-set-compression s "$level" >/dev/null || echo "compression $round failed" >&2
    sleep 0.05
  done
) 2>"$TEST_DIR/reshard.err" &
resharder=$!
for pid in "${producers[@]}"; do wait "$pid" || fail "a producer failed: $(cat "$TEST_DIR"/put.err.*)"; done
wait $resharder
assert_eq "$(cat "$TEST_DIR/reshard.err")" "" "reshards succeed"
check() {
  python3 - "$1" <<'PY'
import collections, sys
last = collections.defaultdict(int)
count = 0
for line in open(sys.argv[1]):
    key, value = line.split()
    assert int(value) > last[key], (key, value, last[key])
    last[key] = int(value)
    count += 1
sys.exit(0 if count == 9000 else 3)
PY
}
for _ in $(seq 1 400); do
  if check "$TEST_DIR/follow1" 2>/dev/null && check "$TEST_DIR/follow2" 2>/dev/null; then break; fi
  sleep 0.05
done
kill $f1 $f2 2>/dev/null; wait $f1 $f2 2>/dev/null || true
kds-get s -f '%k %s\n' >"$TEST_DIR/final"
check "$TEST_DIR/final" || fail "final read: every record once, per-key order"
check "$TEST_DIR/follow1" || fail "follower from the start: $(wc -l <"$TEST_DIR/follow1") lines"
check "$TEST_DIR/follow2" || fail "follower from the end: $(wc -l <"$TEST_DIR/follow2") lines"
assert_eq "$(cat "$TEST_DIR/follow1.err" "$TEST_DIR/follow2.err")" "" "followers report nothing"
kds-fsck s >/dev/null 2>&1 || fail "fsck after the stress run"
pass
