#!/usr/bin/env bash
# kds-put --sync batch killed with SIGKILL at random moments while fed continuously: every acknowledged
# record reads back identical, nothing unwritten appears, nothing is duplicated, offsets stay dense.
source "$(dirname "$0")/lib.sh"

kds-create-stream k9 --shard-count 2 --segment-size 64K
rounds=25
for round in $(seq 1 $rounds); do
  # A feeder that never stops on its own; records are "round.i" with a key per round parity.
  python3 -u -c '
import sys, time
r = sys.argv[1]
i = 0
while True:
    i += 1
    sys.stdout.write(f"k{i % 5}:{r}.{i}\n")
    if i % 50 == 0:
        sys.stdout.flush()
        time.sleep(0.001)
' "$round" 2>/dev/null | kds-put k9 -K : --sync batch --output json >"$TEST_DIR/acks.$round" 2>"$TEST_DIR/err.$round" &
  pid=$!
  # Kill at a random moment after the first acknowledgement (the feeder's start-up time varies a lot
  # with the load and the Python installation, so a fixed delay may kill before anything was written).
  for _ in $(seq 1 200); do
    [[ -s "$TEST_DIR/acks.$round" ]] && break
    sleep 0.05
  done
  sleep "0.$(( RANDOM % 30 ))"
  kill -9 "$pid" 2>/dev/null || true   # $! of a pipeline is its last command: kds-put
  wait "$pid" 2>/dev/null || true
done
kds-get k9 -f '%o %s\n' >"$TEST_DIR/all"
python3 - "$TEST_DIR" "$rounds" <<'PY' || fail "acknowledged records after kill -9"
import json, os, sys
d, rounds = sys.argv[1], int(sys.argv[2])
stored = {}
values = []
for line in open(os.path.join(d, "all")):
    seq, value = line.split()
    assert int(seq) not in stored
    stored[int(seq)] = value
    values.append(value)
assert len(set(values)) == len(values), "a record was stored twice"
acked = 0
for r in range(1, rounds + 1):
    for line in open(os.path.join(d, f"acks.{r}")):
        if not line.endswith("\n"):
            continue  # the ack line itself was cut by the kill
        ack = json.loads(line)
        assert int(ack["SequenceNumber"]) in stored, ("acknowledged record missing", ack)
        acked += 1
for value in values:
    r, i = value.split(".")
    assert 1 <= int(r) <= rounds and int(i) >= 1, value
# Offsets dense per shard.
for shard in (0, 1):
    offs = sorted(s & ((1 << 64) - 1) for s in stored if s >> 64 == shard)
    assert offs == list(range(len(offs))), f"shard {shard} has gaps"
print(f"{acked} acknowledged, {len(values)} stored", file=sys.stderr)
assert acked > 0
PY
pass
