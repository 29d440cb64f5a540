#!/usr/bin/env bash
# Four producers write one stream at once (one shard, so they contend for the same lock, and a 4-shard
# stream); every record appears exactly once, each producer's order is kept, acknowledgements match.
source "$(dirname "$0")/lib.sh"

for shards in 1 4; do
  stream=conc$shards
  kds-create-stream $stream --shard-count $shards --segment-size 64K
  pids=()
  for p in 1 2 3 4; do
    # Small pauses make each producer append many small batches, interleaving with the others.
    (for i in $(seq 1 3000); do echo "p$p $i"; if (( i % 500 == 0 )); then sleep 0.05; fi; done) |
      kds-put $stream -k "producer-$p" --sync none --output json >"$TEST_DIR/acks.$stream.$p" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || fail "producer $pid failed"; done
  kds-get $stream -f '%o %s\n' >"$TEST_DIR/all.$stream"
  python3 - "$TEST_DIR/all.$stream" "$TEST_DIR"/acks.$stream.* <<'PY' || fail "concurrent producers into $stream"
import json, sys, collections
records = [l.split() for l in open(sys.argv[1])]
assert len(records) == 12000, len(records)
seqs = [int(r[0]) for r in records]
assert len(set(seqs)) == 12000, "duplicate sequence numbers"
by_seq = {int(r[0]): (r[1], int(r[2])) for r in records}
last = collections.defaultdict(int)
for seq in sorted(by_seq):
    producer, i = by_seq[seq]
    assert i == last[producer] + 1, (producer, i, last[producer])
    last[producer] = i
assert all(v == 3000 for v in last.values()) and len(last) == 4
for path in sys.argv[2:]:
    acks = [json.loads(l) for l in open(path)]
    assert len(acks) == 3000, (path, len(acks))
    producer = "p" + path.rsplit(".", 1)[1]
    for i, ack in enumerate(acks, 1):
        assert by_seq[int(ack["SequenceNumber"])] == (producer, i), (path, i, ack)
PY
done
pass
