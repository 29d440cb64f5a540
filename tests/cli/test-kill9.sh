#!/usr/bin/env bash
# kds-put --sync batch killed with SIGKILL at random moments while fed continuously: every acknowledged
# record reads back identical (its exact data and key, matched to its input line by the order of the
# acknowledgements), nothing unwritten appears, nothing is duplicated, offsets stay dense.
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
kds-get k9 -f '%o %k %s\n' >"$TEST_DIR/all"
python3 - "$TEST_DIR" "$rounds" <<'PY' || fail "acknowledged records after kill -9"
import hashlib, json, os, sys
d, rounds = sys.argv[1], int(sys.argv[2])
stored = {}  # sequence number -> (key, data)
values = []
for line in open(os.path.join(d, "all")):
    seq, key, value = line.split()
    assert int(seq) not in stored
    stored[int(seq)] = (key, value)
    values.append(value)
assert len(set(values)) == len(values), "a record was stored twice"
acked = 0
for r in range(1, rounds + 1):
    # Acknowledgements come in input order: the j-th complete line is the feeder's record i = j, whose
    # data is "r.j" and key "k{j % 5}".
    j = 0
    for line in open(os.path.join(d, f"acks.{r}")):
        if not line.endswith("\n"):
            continue  # the ack line itself was cut by the kill
        j += 1
        ack = json.loads(line)
        seq = int(ack["SequenceNumber"])
        assert seq in stored, ("acknowledged record missing", ack)
        want = (f"k{j % 5}", f"{r}.{j}")
        assert stored[seq] == want, ("acknowledged record reads back different", ack, stored[seq], want)
        assert ack["ShardId"] == f"shardId-{seq >> 64:012d}", ("ack names another shard", ack)
        acked += 1
for seq, (key, value) in stored.items():
    r, i = value.split(".")
    assert 1 <= int(r) <= rounds and int(i) >= 1, value
    assert key == f"k{int(i) % 5}", ("record stored with another key", key, value)
    # Two shards split the key space at 2^127: the top bit of the key's MD5 picks the shard.
    assert seq >> 64 == int.from_bytes(hashlib.md5(key.encode()).digest(), "big") >> 127, ("misrouted", key)
# Offsets dense per shard.
for shard in (0, 1):
    offs = sorted(s & ((1 << 64) - 1) for s in stored if s >> 64 == shard)
    assert offs == list(range(len(offs))), f"shard {shard} has gaps"
print(f"{acked} acknowledged, {len(values)} stored", file=sys.stderr)
assert acked > 0
PY
pass
