#!/usr/bin/env bash
# kds-consume under kill -9: 4 workers of one application, a random one killed with SIGKILL (and replaced)
# every 0.5-1 s, while records are put and the stream is split and merged. Then every record put is
# processed at least once, each partition key's records in the order they were put (within each run of
# COMMAND and across batches, shards and workers), each shard's batches without gaps, re-deliveries bounded
# by the kills (a worker processes one batch at a time, so a kill re-delivers at most one batch: at most
# --batch-size records), and the application is caught up in every shard at the end.
source "$(dirname "$0")/lib.sh"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
start_ms=$(now_ms)
rounds=40          # the producer's kds-put runs
per_round=100      # records per run
keys=20            # partition keys k0..k19
batch_size=50
kill_phase_ms=15000

kds-create-stream s --shard-count 2
# The producer's input, kept for the checks: "kN<TAB>kN:C", C counting each key's records from 1 (kds-put -K
# makes kN the partition key; the data "kN:C" carries the key, so per-key order can be read from the output).
python3 - "$rounds" "$per_round" "$keys" >"$TEST_DIR/input" <<'PY'
import random, sys
rounds, per_round, keys = map(int, sys.argv[1:])
rng = random.Random()
counter = [0] * keys
for _ in range(rounds * per_round):
    k = rng.randrange(keys)
    counter[k] += 1
    print(f"k{k}\tk{k}:{counter[k]}")
PY

# COMMAND: the batch, after a line "BATCH SHARD FIRST LAST COUNT ATTEMPT WORKER_PID", appended to out in one
# write under an flock; then a little work (sleep 0.1), so that many kills fall between the append and the
# checkpoint, the case that makes re-deliveries. A batch cut short (its worker killed while writing it) is
# refused (exit 1), as a careful command would, and never reaches out. The command holds a shared lock on running.lock while it
# runs, so the end of the test can wait for the commands of killed workers, which live on.
export K9_OUT="$TEST_DIR/out" K9_TMP="$TEST_DIR/tmp" K9_RUNNING="$TEST_DIR/running.lock"
mkdir "$K9_TMP"
: >"$K9_OUT"
: >"$K9_RUNNING"
# shellcheck disable=SC2016
script='exec 9>>"$K9_RUNNING"; flock -s 9
f=$(mktemp "$K9_TMP/b.XXXXXX") || exit 1
{ echo "BATCH $KDS_SHARD_ID $KDS_FIRST_SEQUENCE_NUMBER $KDS_LAST_SEQUENCE_NUMBER $KDS_RECORD_COUNT $KDS_ATTEMPT $PPID"; cat; } >"$f"
if [ "$(wc -l <"$f")" -ne $((KDS_RECORD_COUNT + 1)) ]; then rm -f "$f"; exit 1; fi
flock "$K9_OUT.lock" cat "$f" >>"$K9_OUT" || exit 1
rm -f "$f"
sleep 0.1'

# Workers are direct children of this shell (so that $! is kds-consume itself, and `wait` reaps it). Those
# not reaped yet (in `live`) are killed on exit, whatever happens; a reaped one's pid may be reused.
declare -A live=()  # pid -> worker number
nworkers=0
start_worker() {
  nworkers=$((nworkers + 1))
  kds-consume s --app k --lease-timeout 1s --batch-size $batch_size -- sh -c "$script" \
    >"$TEST_DIR/w.$nworkers.stdout" 2>"$TEST_DIR/w.$nworkers.err" &
  live[$!]=$nworkers
}
kill_live_workers() {
  local pid
  for pid in "${!live[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
}
eval "set -- $(trap -p EXIT)"
trap 'kill_live_workers; '"$3" EXIT
set --

# The producer: $rounds kds-put runs of $per_round records, a little apart; a failed put ends it (and the test
# fails: the checks need to know exactly what was put).
(
  for r in $(seq 1 $rounds); do
    sed -n "$(((r - 1) * per_round + 1)),$((r * per_round))p" "$TEST_DIR/input" |
      kds-put s -K $'\t' "${sync_none[@]}" >/dev/null 2>>"$TEST_DIR/producer.err" ||
      { echo "round $r: kds-put failed" >>"$TEST_DIR/producer.err"; exit 1; }
    echo "$r" >"$TEST_DIR/producer.rounds"
    sleep 0.25
  done
) &
producer_pid=$!

# Reshards: alternately split the widest open shard and merge a random pair of adjacent open shards.
reshard() {
  local op=$1 args
  kds-describe-stream s --output json >"$TEST_DIR/describe.json"
  args=$(python3 - "$TEST_DIR/describe.json" "$op" <<'PY'
import json, random, sys
shards = json.load(open(sys.argv[1]))["StreamDescription"]["Shards"]
open_ = sorted((s for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]),
               key=lambda s: int(s["HashKeyRange"]["StartingHashKey"]))
rng = lambda s: (int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
if sys.argv[2] == "split":
    widest = max(open_, key=lambda s: rng(s)[1] - rng(s)[0])
    print(widest["ShardId"])
else:
    pairs = [(a, b) for a, b in zip(open_, open_[1:]) if rng(a)[1] + 1 == rng(b)[0]]
    a, b = random.choice(pairs)
    print(a["ShardId"], b["ShardId"])
PY
  )
  if [[ $op == split ]]; then
    # shellcheck disable=SC2086
    kds-split-shard s $args >/dev/null 2>"$TEST_DIR/reshard.err" || fail "kds-split-shard s $args: $(cat "$TEST_DIR/reshard.err")"
  else
    # shellcheck disable=SC2086
    kds-merge-shards s $args >/dev/null 2>"$TEST_DIR/reshard.err" || fail "kds-merge-shards s $args: $(cat "$TEST_DIR/reshard.err")"
  fi
  echo "$op $args" >>"$TEST_DIR/reshards"
}

for _ in 1 2 3 4; do start_worker; done
# The kill loop: at least $kill_phase_ms, and until the producer is done (at most 45 s in all, else fail).
kills=0
: >"$TEST_DIR/killed"
producer_ms=""
kill_start=$(now_ms)
reshard_ops=(split merge split merge split)
reshard_at_ms=(1000 3000 5000 7000 9000)
next_reshard=0
while :; do
  elapsed=$(($(now_ms) - kill_start))
  if [[ -z $producer_ms ]] && ! kill -0 $producer_pid 2>/dev/null; then producer_ms=$elapsed; fi
  if ((elapsed >= kill_phase_ms)) && [[ -n $producer_ms ]]; then break; fi
  if ((elapsed >= 45000)); then
    fail "the producer did not finish within 45 s ($(cat "$TEST_DIR/producer.rounds" 2>/dev/null || echo 0) of $rounds rounds)"
    break
  fi
  if ((next_reshard < ${#reshard_ops[@]} && elapsed >= reshard_at_ms[next_reshard])); then
    reshard "${reshard_ops[$next_reshard]}"
    next_reshard=$((next_reshard + 1))
  fi
  sleep "0.$((5 + RANDOM % 5))"
  pids=("${!live[@]}")
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      status=0
      wait "$pid" || status=$?
      fail "worker ${live[$pid]} (pid $pid) exited on its own with status $status: $(head -c 500 "$TEST_DIR/w.${live[$pid]}.err")"
      unset "live[$pid]"
      start_worker
    fi
  done
  # Every other kill, a worker that holds a lease (with 4 workers and 2 or 3 shards, some hold none).
  pids=()
  if ((kills % 2 == 1)); then
    for pid in $(kds-checkpoint s --app k --output json 2>/dev/null | python3 -c '
import json, sys
print(" ".join(s["LeaseOwner"].rsplit(":", 1)[1] for s in json.load(sys.stdin)["Shards"] if s["LeaseOwner"]))' || true); do
      if [[ -n ${live[$pid]:-} ]]; then pids+=("$pid"); fi
    done
  fi
  ((${#pids[@]} > 0)) || pids=("${!live[@]}")
  victim=${pids[RANDOM % ${#pids[@]}]}
  kill -9 "$victim" 2>/dev/null || true
  echo "$victim" >>"$TEST_DIR/killed"
  wait "$victim" 2>/dev/null || true
  unset "live[$victim]"
  kills=$((kills + 1))
  start_worker
done
producer_status=0
wait $producer_pid || producer_status=$?
((producer_status == 0)) || fail "the producer failed: $(cat "$TEST_DIR/producer.err")"
((next_reshard == ${#reshard_ops[@]})) || fail "only $next_reshard of ${#reshard_ops[@]} reshards were done"
kill_phase_s=$((($(now_ms) - kill_start) / 1000))

# The survivors stop with SIGTERM: each finishes and checkpoints its batch, and releases its leases.
for pid in "${!live[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
for pid in "${!live[@]}"; do
  for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$pid" 2>/dev/null; then
    fail "worker ${live[$pid]} (pid $pid) did not stop within 10 s of SIGTERM"
    kill -9 "$pid" 2>/dev/null || true
  fi
  status=0
  wait "$pid" || status=$?
  ((status == 143)) || fail "worker ${live[$pid]} (pid $pid) exited $status after SIGTERM, expected 143: $(head -c 500 "$TEST_DIR/w.${live[$pid]}.err")"
  unset "live[$pid]"
done
# The killed workers' leases expire (1 s after their last renewal) before the last worker starts, else it could
# find a shard held and be caught up without it.
leases_live() {
  kds-checkpoint s --app k --output json | python3 -c '
import json, sys
held = [s["ShardId"] for s in json.load(sys.stdin)["Shards"] if s["LeaseOwner"] and (s["LeaseExpiresInMillis"] or 0) > 0]
sys.exit(0 if held else 1)'
}
for _ in $(seq 1 100); do leases_live || break; sleep 0.1; done
if leases_live; then fail "leases still live 10 s after the last worker died: $(kds-checkpoint s --app k 2>&1)"; fi
# One last worker processes whatever is left, and exits.
final_start=$(now_ms)
status=0
timeout 60 kds-consume s --app k --until-caught-up --lease-timeout 1s --batch-size $batch_size -- sh -c "$script" \
  >"$TEST_DIR/final.stdout" 2>"$TEST_DIR/final.err" || status=$?
((status == 0)) || fail "the last worker (--until-caught-up) exited $status: $(head -c 500 "$TEST_DIR/final.err")"
final_ms=$(($(now_ms) - final_start))
# The commands of killed workers run on, orphaned: wait for them (their shared locks) before reading out.
timeout 20 flock -x "$K9_RUNNING" true || fail "commands still running 20 s after the last worker"

# Nothing on any worker's stderr: a command refuses its batch only when its worker died writing it.
for f in "$TEST_DIR"/w.*.err "$TEST_DIR/final.err"; do
  if [[ -s $f ]]; then fail "$(basename "$f"): $(head -c 500 "$f")"; fi
done
# The application is caught up: no lag in any shard, no worker, no lease.
kds-checkpoint s --app k --output json >"$TEST_DIR/checkpoint.json" || fail "kds-checkpoint s --app k failed"
python3 - "$TEST_DIR/checkpoint.json" <<'PY' || fail "caught up at the end: $(kds-checkpoint s --app k 2>&1)"
import json, sys
shards = json.load(open(sys.argv[1]))["Shards"]
assert len(shards) >= 2, shards
for s in shards:
    assert s["LagRecords"] == 0, s
    assert s["LeaseOwner"] is None, s
PY
kds-checkpoint s >"$TEST_DIR/apps.txt" || true
awk '$1 == "k" && ($3 != 0 || $4 != 0) { bad = 1 } END { exit bad }' "$TEST_DIR/apps.txt" ||
  fail "kds-checkpoint s: application k should have 0 workers and 0 lag: $(cat "$TEST_DIR/apps.txt")"

# The deliveries against the input.
python3 - "$TEST_DIR" "$kills" "$batch_size" >"$TEST_DIR/summary" <<'PY' || fail "deliveries under kill -9 (the lines above)"
import collections, sys
d, kills, batch_size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
put = {}  # (key, counter) -> input line number
order = collections.defaultdict(list)  # key -> counters in put order
for i, line in enumerate(open(f"{d}/input")):
    key, data = line.rstrip("\n").split("\t")
    k, c = data.split(":")
    assert k == key
    put[(key, int(c))] = i
    order[key].append(int(c))
for key, cs in order.items():
    assert cs == list(range(1, len(cs) + 1)), key

batches = []  # (shard, first, last, count, attempt, worker, [(key, counter)])
lines = open(f"{d}/out").read().split("\n")
assert lines[-1] == "", "out ends in the middle of a line"
i = 0
while i < len(lines) - 1:
    head = lines[i].split()
    assert len(head) == 7 and head[0] == "BATCH", ("not a batch header", i, lines[i])
    shard, first, last, count, attempt, worker = head[1], int(head[2]), int(head[3]), int(head[4]), head[5], head[6]
    recs = []
    for line in lines[i + 1:i + 1 + count]:
        key, c = line.split(":")
        recs.append((key, int(c)))
    assert len(recs) == count, ("batch cut short", lines[i])
    assert last - first + 1 == count, ("sequence numbers and count disagree", lines[i])
    assert 1 <= count <= batch_size, ("batch larger than --batch-size", lines[i])
    batches.append((shard, first, last, count, attempt, worker, recs))
    i += 1 + count

errors = []
# Each record keeps its shard and sequence number across deliveries; nothing that was not put is delivered.
where = {}
for shard, first, last, count, attempt, worker, recs in batches:
    for n, r in enumerate(recs):
        if r not in put:
            errors.append(f"delivered but never put: {r}")
        pos = (shard, first + n)
        if where.setdefault(r, pos) != pos:
            errors.append(f"{r} delivered as {pos} and as {where[r]}")
# (1) Every record put is delivered at least once.
delivered = collections.Counter(r for b in batches for r in b[6])
missing = sorted(set(put) - set(delivered), key=put.get)
if missing:
    errors.append(f"{len(missing)} records never delivered, first: {missing[:10]}")
# (2) Within each batch (one run of COMMAND), each key's records in put order.
for b in batches:
    last_c = {}
    for key, c in b[6]:
        if c <= last_c.get(key, 0):
            errors.append(f"batch {b[:6]}: {key}:{c} after {key}:{last_c[key]}")
        last_c[key] = c
# (3) Across batches: each key's records, in the order they were first delivered, are 1, 2, 3, ... (later
# deliveries are re-deliveries of records already seen); and each shard's batches start at its first record
# and never after a gap: at the record after the furthest one delivered, or before it (a re-delivery).
first_seen = collections.defaultdict(list)
seen = set()
for b in batches:
    for r in b[6]:
        if r not in seen:
            seen.add(r)
            first_seen[r[0]].append(r[1])
for key, cs in first_seen.items():
    if cs != list(range(1, len(cs) + 1)):
        bad = next(n for n, c in enumerate(cs) if c != n + 1)
        errors.append(f"{key}: first deliveries out of order at position {bad}: {cs[max(0, bad - 3):bad + 3]}")
furthest = {}
for shard, first, last, count, attempt, worker, recs in batches:
    start = int(shard.split("-")[1]) << 64
    expect = furthest.get(shard, start - 1) + 1
    if first > expect:
        errors.append(f"{shard}: batch {first}..{last} after a gap (next expected {expect})")
    furthest[shard] = max(furthest.get(shard, start - 1), last)
# Re-deliveries: only of batches unfinished when their worker was killed, and of each killed worker only its
# last batch (a worker processes one batch at a time, and checkpoints it before the next). In each shard,
# a batch that starts at or before the furthest record delivered re-delivers the records up to it; the
# batches that delivered them first were never checkpointed. (A killed worker's COMMAND lives on and appends
# its batch within milliseconds, long before the lease timeout lets another worker take the shard over, so
# the output order is the order of the deliveries.)
killed = set(open(f"{d}/killed").read().split())
first_batch = {}  # record -> index of the batch that delivered it first
unfinished = collections.defaultdict(set)  # worker -> its batches re-delivered later
last_batch = {}  # worker -> index of its last batch
for n, b in enumerate(batches):
    last_batch[b[5]] = n
    for r in b[6]:
        if r in first_batch and first_batch[r] != n:
            unfinished[batches[first_batch[r]][5]].add(first_batch[r])
        first_batch.setdefault(r, n)
for worker, bs in sorted(unfinished.items()):
    if worker not in killed:
        errors.append(f"worker {worker} was not killed, yet its batches {[batches[i][:5] for i in sorted(bs)]} were delivered again")
    elif bs != {last_batch[worker]}:
        errors.append(f"killed worker {worker}: batches other than its last were delivered again: "
                      f"{[batches[i][:5] for i in sorted(bs)]}, last {batches[last_batch[worker]][:5]}")
# In all, at most one batch, of at most --batch-size records, per kill.
deliveries = sum(delivered.values())
duplicates = deliveries - len(delivered)
redelivered_batches = 0
seen = set()
for b in batches:
    if any(r in seen for r in b[6]):
        redelivered_batches += 1
    seen.update(b[6])
if duplicates > kills * batch_size:
    errors.append(f"{duplicates} re-delivered records for {kills} kills: more than {kills} x {batch_size}")
if redelivered_batches > kills:
    errors.append(f"{redelivered_batches} batches re-delivered (partly or wholly) for {kills} kills")
retried = sum(1 for b in batches if b[4] != "1")
print(f"records={len(put)} batches={len(batches)} deliveries={deliveries} duplicates={duplicates} "
      f"redelivered_batches={redelivered_batches} retried_batches={retried} "
      f"workers_that_delivered={len({b[5] for b in batches})}")
for e in errors[:20]:
    print("  " + e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
shards=$(kds-describe-stream s --output json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["StreamDescription"]["Shards"]))')
echo "$(cat "$TEST_DIR/summary") kills=$kills workers_started=$nworkers reshards=$next_reshard shards=$shards" \
  "producer=${producer_ms}ms kill_phase=${kill_phase_s}s final_worker=${final_ms}ms wall=$((($(now_ms) - start_ms) / 1000))s"
if [[ $failures -gt 0 ]]; then
  # Keep what a report needs: the application's state and the reshards.
  echo "reshards: $(paste -sd, "$TEST_DIR/reshards" 2>/dev/null)" >&2
  echo "state: $(cat "$KDS_STORE/s.stream/apps/k.json" 2>/dev/null)" >&2
  kds-checkpoint s --app k >&2 || true
fi
pass
