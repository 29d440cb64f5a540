#!/usr/bin/env bash
# kds-consume and kds-checkpoint: checkpointed applications, batches and COMMAND mode, retries, bisection and
# dead letters, per-key order across reshards, workers that share shards and take over a killed one's,
# changing checkpoints, bad input, and records that expired before an application read them.
source "$(dirname "$0")/lib.sh"

# Every kds-consume that should end runs under `timeout 60`, so that a bug fails the test instead of hanging
# CI. consume ARGS...: kds-consume expected to exit 0; stdout in $TEST_DIR/out, stderr in $TEST_DIR/err.
consume() { expect_status 0 timeout 60 kds-consume "$@" || true; }
# within SECONDS CMD...: polls CMD every 0.1 s until it succeeds (status 0) or SECONDS have passed (status 1).
within() {
  local end=$(($(date +%s%N) / 1000000 + $1 * 1000))
  shift
  until "$@"; do
    (($(date +%s%N) / 1000000 < end)) || return 1
    sleep 0.1
  done
}
# lines N M [PREFIX]: the numbers N..M, one a line, each after PREFIX.
lines() { seq "$1" "$2" | sed "s/^/${3:-}/"; }
# keyed N M: lines kI:I for I in N..M (kds-put -K : makes kI the partition key and I the data), so the
# records spread over the shards.
keyed() { seq "$1" "$2" | sed 's/.*/k&:&/'; }

# --- a. Basic: every record exactly once (in order within a shard), a second run prints nothing, then only
# the records put since
kds-create-stream one
kds-create-stream four --shard-count 4
lines 1 100 | kds-put one --sync none
keyed 1 400 | kds-put four -K : --sync none
assert_eq "$(kds-get four -f '%p\n' | sort -u | wc -l)" "4" "setup: the records of 'four' are in all 4 shards"
consume one --app a --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")" "$(lines 1 100)" "1 shard: every record once, in order"
assert_eq "$(cat "$TEST_DIR/err")" "" "1 shard: nothing on stderr"
consume four --app a --until-caught-up
assert_eq "$(sort -n "$TEST_DIR/out")" "$(lines 1 400)" "4 shards: every record once"
assert_eq "$(cat "$TEST_DIR/err")" "" "4 shards: nothing on stderr"
consume one --app a --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")" "" "1 shard: a second run prints nothing"
consume four --app a --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")" "" "4 shards: a second run prints nothing"
lines 101 150 | kds-put one --sync none
keyed 401 500 | kds-put four -K : --sync none
consume one --app a --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")" "$(lines 101 150)" "1 shard: only the new records"
consume four --app a --until-caught-up
assert_eq "$(sort -n "$TEST_DIR/out")" "$(lines 401 500)" "4 shards: only the new records"
# Within each shard, sequence-number order and nothing skipped: the shard's offsets 0, 1, 2, ... in turn.
consume four --app a-seq --until-caught-up -f '%p %o %s\n'
python3 - "$TEST_DIR/out" <<'PY' || fail "4 shards: each shard's records in sequence-number order, none skipped"
import sys, collections
seqs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    shard, seq, value = line.split()
    seqs[shard].append(int(seq))
assert len(seqs) == 4, seqs.keys()
for shard, got in seqs.items():
    base = int(shard.split("-")[1]) << 64
    assert got == list(range(base, base + len(got))), (shard, got[:5])
assert sum(len(v) for v in seqs.values()) == 500
PY
# The output options are kds-get's, formatting records the same way.
consume one --app a-json --until-caught-up --output json
kds-get one --output json >"$TEST_DIR/get.json"
assert_files_equal "$TEST_DIR/out" "$TEST_DIR/get.json" "--output json prints what kds-get prints"
consume one --app a-fmt --until-caught-up -f '%t %p %o %k %S %s\n'
assert_eq "$(cat "$TEST_DIR/out")" "$(kds-get one -f '%t %p %o %k %S %s\n')" "-f as kds-get"
consume one --app a-nul --until-caught-up -0
kds-get one -0 >"$TEST_DIR/get.nul"
assert_files_equal "$TEST_DIR/out" "$TEST_DIR/get.nul" "-0 as kds-get"
consume one --app a-delim --until-caught-up -D ','
assert_eq "$(cat "$TEST_DIR/out")" "$(lines 1 150 | tr '\n' ',')" "-D ',' as kds-get"
consume one --app a-unbuf --until-caught-up -u --batch-size 7
assert_eq "$(cat "$TEST_DIR/out")" "$(lines 1 150)" "-u and small batches print the same records"

# --- b. Two applications each get every record
consume four --app b --until-caught-up
assert_eq "$(sort -n "$TEST_DIR/out")" "$(lines 1 500)" "application b gets every record too"
consume one --app b --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")" "$(lines 1 150)" "application b on the 1-shard stream"
consume four --app a --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")" "" "application a is not moved by application b"

# --- c. COMMAND mode: one run per batch, the batch on stdin, the environment describing it
# 250 records, all in shard 1 of 2 (the highest hash key), so that sequence numbers are past 2^64.
kds-create-stream cmd --shard-count 2
lines 1 250 | kds-put cmd --explicit-hash-key 340282366920938463463374607431768211455 --sync none
# Each run appends "SHARD FIRST LAST COUNT APP STREAM ATTEMPT STDIN_LINES" to c.batches and its stdin to c.data.
consume cmd --app c --until-caught-up --batch-size 100 -- sh -c '
  n=$(tee -a "$1" | wc -l)
  echo "$KDS_SHARD_ID $KDS_FIRST_SEQUENCE_NUMBER $KDS_LAST_SEQUENCE_NUMBER $KDS_RECORD_COUNT $KDS_APP $KDS_STREAM $KDS_ATTEMPT $n" >>"$0"' \
  "$TEST_DIR/c.batches" "$TEST_DIR/c.data"
assert_eq "$(cat "$TEST_DIR/out")" "" "COMMAND mode: kds-consume itself prints nothing"
assert_eq "$(cat "$TEST_DIR/err")" "" "COMMAND mode: nothing on stderr"
assert_eq "$(cat "$TEST_DIR/c.data" 2>/dev/null)" "$(lines 1 250)" "COMMAND mode: the batches' stdin, in order"
python3 - "$TEST_DIR/c.batches" <<'PY' || fail "COMMAND mode: 3 consecutive batches of 100, 100, 50 and their environment ($(cat "$TEST_DIR/c.batches" 2>&1))"
import sys
rows = [line.split() for line in open(sys.argv[1])]
assert [int(r[3]) for r in rows] == [100, 100, 50], rows
expect_first = 2**64
for shard, first, last, count, app, stream, attempt, stdin_lines in rows:
    first, last, count = int(first), int(last), int(count)
    assert shard == "shardId-000000000001", shard
    assert (app, stream, attempt) == ("c", "cmd", "1"), (app, stream, attempt)
    assert last - first + 1 == count, (first, last, count)
    assert int(stdin_lines) == count, (stdin_lines, count)
    assert first == expect_first, ("batches not consecutive", first, expect_first)
    expect_first = last + 1
assert expect_first == 2**64 + 250
PY
# Caught up: COMMAND is not run for an empty batch.
consume cmd --app c --until-caught-up -- sh -c 'cat >/dev/null; echo ran >>"$0"' "$TEST_DIR/c.again"
[[ ! -e "$TEST_DIR/c.again" ]] || fail "COMMAND run again although there was nothing to process"
# COMMAND's stdout is kds-consume's.
consume cmd --app c-stdout --until-caught-up --batch-size 100 -- sh -c 'cat; echo "end $KDS_RECORD_COUNT"'
assert_eq "$(grep -c '^end ' "$TEST_DIR/out")" "3" "COMMAND's standard output is kds-consume's"
assert_eq "$(grep -v '^end ' "$TEST_DIR/out")" "$(lines 1 250)" "COMMAND's output holds its batches"

# --- d. Failures: --on-failure stop leaves the checkpoint; retries with KDS_ATTEMPT
kds-create-stream fail1
lines 1 20 | kds-put fail1 --sync none
# A COMMAND that fails (without reading its input): 3 attempts with the default --retries 2, 0.2 s and 0.4 s
# apart; then one line on stderr and exit 1.
start_ms=$(($(date +%s%N) / 1000000))
expect_error 1 "status 3 .*checkpoint unchanged" timeout 60 kds-consume fail1 --app d --until-caught-up -- \
  sh -c 'echo "$KDS_ATTEMPT" >>"$0"; exit 3' "$TEST_DIR/d.attempts"
elapsed_ms=$(($(date +%s%N) / 1000000 - start_ms))
grep -q 'shardId-000000000000' "$TEST_DIR/err" || fail "--on-failure stop: the message names the shard: $(cat "$TEST_DIR/err")"
grep -qF 'records 0..19' "$TEST_DIR/err" || fail "--on-failure stop: the message names the records 0..19: $(cat "$TEST_DIR/err")"
grep -qF '(3 attempts)' "$TEST_DIR/err" || fail "--on-failure stop: the message counts 3 attempts: $(cat "$TEST_DIR/err")"
assert_eq "$(tr '\n' ' ' 2>/dev/null <"$TEST_DIR/d.attempts")" "1 2 3 " "KDS_ATTEMPT counts the runs of a batch"
((elapsed_ms >= 550)) || fail "retries should wait 0.2 s then 0.4 s; everything took $elapsed_ms ms"
consume fail1 --app d --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")" "$(lines 1 20)" "after a failed COMMAND the checkpoint has not moved"
# A COMMAND that fails on the first attempt only: --retries 1 processes everything once, --retries 0 stops.
flaky='d=$(cat); [ "$KDS_ATTEMPT" = 1 ] && exit 4; printf "%s\n" "$d" >>"$0"'
consume fail1 --app d-retry --until-caught-up --retries 1 -- sh -c "$flaky" "$TEST_DIR/d-retry.out"
assert_eq "$(cat "$TEST_DIR/d-retry.out" 2>/dev/null)" "$(lines 1 20)" "--retries 1: every record processed once"
expect_error 1 "status 4" timeout 60 kds-consume fail1 --app d-noretry --until-caught-up --retries 0 -- \
  sh -c "$flaky" "$TEST_DIR/d-noretry.out"
[[ ! -s "$TEST_DIR/d-noretry.out" ]] || fail "--retries 0: nothing should have been processed"
# A COMMAND killed by a signal fails its batch; one that cannot be run at all is kds-consume's own error.
expect_error 1 "killed by signal 9.*checkpoint unchanged" timeout 60 kds-consume fail1 --app d-killed --until-caught-up \
  --retries 0 -- sh -c 'kill -9 $$'
# A COMMAND that cannot be run is a usage error, found before anything is read or created.
before=$(store_fingerprint)
expect_error 2 "COMMAND $TEST_DIR/no-such-command is not an executable file" timeout 60 kds-consume fail1 \
  --app d-missing --until-caught-up -- "$TEST_DIR/no-such-command"
expect_error 2 "COMMAND no-such-command-kds is not found in PATH" timeout 60 kds-consume fail1 --app d-missing \
  --until-caught-up -- no-such-command-kds
assert_eq "$(store_fingerprint)" "$before" "a COMMAND that cannot be run leaves the store unchanged"

# --- e. --bisect-on-error isolates a poison record, which --on-failure dead-letter sets aside
kds-create-stream bis
kds-create-stream dl
lines 1 50 r | sed 's/^r23$/POISON/' | kds-put bis -k pk-bis --sync none
# A missing dead-letter stream: exit 3 before anything is processed.
before=$(store_fingerprint)
expect_error 3 "nodl" timeout 60 kds-consume bis --app e-nodl --until-caught-up --on-failure dead-letter:nodl -- \
  sh -c 'cat >>"$0"' "$TEST_DIR/e.nodl"
[[ ! -e "$TEST_DIR/e.nodl" ]] || fail "records processed although the dead-letter stream does not exist"
assert_eq "$(store_fingerprint)" "$before" "a missing dead-letter stream leaves the store unchanged"
# COMMAND fails with status 5 on any batch that holds POISON, else appends its batch to e.good.
poison='d=$(cat); if printf "%s\n" "$d" | grep -qx POISON; then exit 5; fi; printf "%s\n" "$d" >>"$0"'
consume bis --app e --until-caught-up --bisect-on-error --retries 0 --on-failure dead-letter:dl -- \
  sh -c "$poison" "$TEST_DIR/e.good"
assert_eq "$(cat "$TEST_DIR/e.good" 2>/dev/null)" "$(lines 1 50 r | grep -vx r23)" \
  "bisection: the 49 good records processed once each, in order"
grep -q 'dl' "$TEST_DIR/err" || fail "a line on stderr names the dead-letter stream: $(cat "$TEST_DIR/err")"
expect_status 0 kds-get dl --iterator-type TRIM_HORIZON || true
python3 - "$TEST_DIR/out" <<'PY' || fail "the dead-letter record: $(cat "$TEST_DIR/out")"
import base64, json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
d = json.loads(lines[0])
assert d["StreamName"] == "bis", d
assert d["ShardId"] == "shardId-000000000000", d
assert d["SequenceNumber"] == "22", d
assert d["PartitionKey"] == "pk-bis", d
assert base64.b64decode(d["Data"]) == b"POISON", d
assert "status 5" in d["Error"], d
assert isinstance(d["ApproximateArrivalTimestamp"], (int, float)), d
PY
assert_eq "$(kds-get dl -f '%k\n')" "pk-bis" "the dead-letter record keeps the partition key"
consume bis --app e --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")" "" "the checkpoint moved past the dead-lettered record"

# --- f. Reshard lineage: parents before children, each key's records in the order they were put
kds-create-stream lin
# kI:kI:N puts the record "kI:N" with the partition key kI.
keyed_counters() { seq "$1" "$2" | awk '{ k = "k" ($1 % 10); print k ":" k ":" $1 }'; }
keyed_counters 1 100 | kds-put lin -K : --sync none
kds-split-shard lin 0 >/dev/null
keyed_counters 101 200 | kds-put lin -K : --sync none
kds-merge-shards lin 1 2 >/dev/null
keyed_counters 201 300 | kds-put lin -K : --sync none
consume lin --app f --until-caught-up --batch-size 7
python3 - "$TEST_DIR/out" <<'PY' || fail "reshards: every record once, each key in order"
import sys, collections
got = collections.defaultdict(list)
for line in open(sys.argv[1]):
    key, n = line.strip().split(":")
    got[key].append(int(n))
assert sorted(got) == [f"k{i}" for i in range(10)], sorted(got)
for key, ns in got.items():
    k = int(key[1:])
    assert ns == [n for n in range(1, 301) if n % 10 == k], (key, ns)
PY
expect_status 0 kds-checkpoint lin --app f --output json || true
python3 - "$TEST_DIR/out" <<'PY' || fail "reshards: finished parents are SHARD_END, the child is at its last record: $(cat "$TEST_DIR/out")"
import json, sys
shards = {s["ShardId"]: s for s in json.load(open(sys.argv[1]))["Shards"]}
for parent in ("shardId-000000000000", "shardId-000000000001", "shardId-000000000002"):
    if parent in shards:
        assert shards[parent]["Checkpoint"] == "SHARD_END", shards[parent]
child = shards["shardId-000000000003"]
assert child["Checkpoint"] == str(3 * 2**64 + 99), child
assert all(s["LagRecords"] == 0 for s in shards.values()), shards
PY

# --- g. Workers share the shards; a killed worker's shards are taken over
kds-create-stream work --shard-count 4
cat >"$TEST_DIR/wcheck.py" <<'PY'
# wcheck.py DIR distinct: prints how many distinct records the workers' files hold.
# wcheck.py DIR once N: every record 1..N exactly once.
# wcheck.py DIR final N1 N2 SHARDS: every record 1..N2 at least once; duplicates only of records 1..N1 (put
# before the kill) in the comma-separated SHARDS (the killed worker's).
import collections, glob, sys
rows = []
for name in sorted(glob.glob(sys.argv[1] + "/w.*.out")):
    data = open(name).read()
    for line in data.split("\n")[:-1]:  # complete lines only: a killed worker's COMMAND may leave half a line
        shard, value = line.split(" ")
        rows.append((shard, int(value)))
count = collections.Counter(v for _, v in rows)
mode = sys.argv[2]
if mode == "distinct":
    print(len(count))
elif mode == "once":
    n = int(sys.argv[3])
    assert sorted(count) == list(range(1, n + 1)), f"{len(count)} distinct records of {n}"
    dups = {v: c for v, c in count.items() if c > 1}
    assert not dups, f"duplicates without a worker dying: {sorted(dups)[:20]}"
else:
    n1, n2, killed = int(sys.argv[3]), int(sys.argv[4]), set(sys.argv[5].split(","))
    assert sorted(count) == list(range(1, n2 + 1)), f"{len(count)} distinct records of {n2}"
    extra = collections.Counter((s, v) for s, v in rows)
    for (shard, value), c in extra.items():
        if c > 1:
            assert value <= n1 and shard in killed, ("unexpected duplicate", shard, value, c)
    print(f"{len(rows) - n2} duplicate deliveries after the kill", file=sys.stderr)
PY
declare -A worker_pids=()
# worker N: a background worker of application w whose COMMAND appends its batches to w.N.out.
worker() {
  kds-consume work --app w --lease-timeout 2s -f '%p %s\n' -- sh -c 'cat >>"$0"' "$TEST_DIR/w.$1.out" \
    >"$TEST_DIR/w.$1.stdout" 2>"$TEST_DIR/w.$1.err" &
  worker_pids[$1]=$!
}
delivered_at_least() { [[ $(python3 "$TEST_DIR/wcheck.py" "$TEST_DIR" distinct) -ge $1 ]]; }
# The application's shards as "SHARD OWNER" lines (OWNER "-" when none).
lease_table() {
  kds-checkpoint work --app w --output json | python3 -c '
import json, sys
for s in json.load(sys.stdin)["Shards"]:
    print(s["ShardId"], s["LeaseOwner"] or "-")'
}
owner_count() { lease_table | awk '$2 != "-" { print $2 }' | sort -u | wc -l; }
several_owners() { [[ $(owner_count) -gt 1 ]]; }
worker 1
worker 2
worker 3
for i in $(seq 0 9); do
  keyed $((i * 100 + 1)) $((i * 100 + 100)) | kds-put work -K : --sync none
  sleep 0.1
done
within 30 delivered_at_least 1000 ||
  fail "workers: $(python3 "$TEST_DIR/wcheck.py" "$TEST_DIR" distinct) of 1000 records delivered after 30 s"
within 15 several_owners || fail "workers: one worker holds every lease: $(lease_table | tr '\n' ' ')"
# Owners are HOST:PID of the workers, and every open shard is held while they run.
lease_table >"$TEST_DIR/leases" || true
assert_eq "$(awk '$2 != "-"' "$TEST_DIR/leases" | wc -l)" "4" "workers: every shard is held: $(tr '\n' ' ' <"$TEST_DIR/leases")"
for owner in $(awk '$2 != "-" { print $2 }' "$TEST_DIR/leases" | sort -u); do
  pid=${owner##*:}
  [[ " ${worker_pids[*]} " == *" $pid "* ]] || fail "workers: lease owner $owner is not one of the workers (${worker_pids[*]})"
done
expect_status 0 kds-checkpoint work --app w || true
head -1 "$TEST_DIR/out" | grep -qE '^SHARD_ID +CHECKPOINT +OWNER +LEASE +LAG_RECORDS +LAG_MS *$' ||
  fail "kds-checkpoint --app header: $(head -1 "$TEST_DIR/out")"
awk 'NR > 1 && $4 !~ /^[0-9.]+s$/ { bad = 1 } END { exit bad }' "$TEST_DIR/out" ||
  fail "workers: each LEASE shows the time left: $(cat "$TEST_DIR/out")"
python3 "$TEST_DIR/wcheck.py" "$TEST_DIR" once 1000 || fail "workers: every record exactly once while no worker died"
# kill -9 a worker that holds leases; the others take its shards over.
lease_table >"$TEST_DIR/leases" || true
victim_owner=$(awk '$2 != "-" { print $2; exit }' "$TEST_DIR/leases")
victim_pid=${victim_owner##*:}
victim_shards=$(awk -v o="$victim_owner" '$2 == o { print $1 }' "$TEST_DIR/leases" | paste -sd,)
victim=""
for n in "${!worker_pids[@]}"; do [[ ${worker_pids[$n]} == "$victim_pid" ]] && victim=$n; done
if [[ -z $victim ]]; then
  fail "workers: lease owner $victim_owner is not a worker"
else
  { kill -9 "$victim_pid" && wait "$victim_pid"; } 2>/dev/null || true
  unset "worker_pids[$victim]"
  killed_at_ms=$(($(date +%s%N) / 1000000))
  for i in $(seq 10 13); do keyed $((i * 100 + 1)) $((i * 100 + 100)) | kds-put work -K : --sync none; done
  # Takeover after the 2 s lease timeout; 3 lease timeouts, and some slack for a loaded machine.
  within 10 delivered_at_least 1400 ||
    fail "workers: $(python3 "$TEST_DIR/wcheck.py" "$TEST_DIR" distinct) of 1400 records 10 s after a worker was killed (it held $victim_shards)"
  echo "records of the killed worker's shards arrived $(($(date +%s%N) / 1000000 - killed_at_ms)) ms after the kill" >&2
  no_victim_lease() { lease_table >"$TEST_DIR/leases" && ! grep -q ":$victim_pid\$" "$TEST_DIR/leases" && ! grep -q ' -$' "$TEST_DIR/leases"; }
  within 10 no_victim_lease || fail "workers: the killed worker's shards were not taken over: $(tr '\n' ' ' <"$TEST_DIR/leases")"
  python3 "$TEST_DIR/wcheck.py" "$TEST_DIR" final 1000 1400 "$victim_shards" ||
    fail "workers: every record at least once, duplicates only of the killed worker's unfinished batches"
fi
for n in "${!worker_pids[@]}"; do
  assert_eq "$(cat "$TEST_DIR/w.$n.err")" "" "worker $n: nothing on stderr"
  { kill -9 "${worker_pids[$n]}" && wait "${worker_pids[$n]}"; } 2>/dev/null || true
done

# --- h. kds-checkpoint: list, show, --set, --reset, --delete, refused while a worker holds a lease
kds-create-stream cp
lines 1 30 | kds-put cp --sync none
consume cp --app a --until-caught-up
consume cp --app b --until-caught-up --batch-size 10
expect_status 0 kds-checkpoint cp || true
head -1 "$TEST_DIR/out" | grep -qE '^APP +SHARDS +WORKERS +LAG_RECORDS +LAG_MS *$' || fail "kds-checkpoint header: $(head -1 "$TEST_DIR/out")"
assert_eq "$(awk 'NR > 1 { print $1, $2, $3, $4 }' "$TEST_DIR/out" | sort)" "a 1 0 0
b 1 0 0" "kds-checkpoint lists the applications"
lines 31 35 | kds-put cp --sync none
expect_status 0 kds-checkpoint cp --output json || true
python3 -c '
import json, sys
apps = {a["AppName"]: a for a in json.load(open(sys.argv[1]))["Applications"]}
assert sorted(apps) == ["a", "b"], apps
for a in apps.values():
    assert (a["Shards"], a["Workers"], a["LagRecords"]) == (1, 0, 5), a
' "$TEST_DIR/out" || fail "kds-checkpoint --output json: $(cat "$TEST_DIR/out")"
expect_status 0 kds-checkpoint cp --app a || true
head -1 "$TEST_DIR/out" | grep -qE '^SHARD_ID +CHECKPOINT +OWNER +LEASE +LAG_RECORDS +LAG_MS *$' ||
  fail "kds-checkpoint --app header: $(head -1 "$TEST_DIR/out")"
assert_eq "$(awk 'NR > 1 { print $1, $2, $3, $4, $5 }' "$TEST_DIR/out")" "shardId-000000000000 29 - - 5" \
  "kds-checkpoint --app a: one row per shard"
expect_status 0 kds-checkpoint cp --app a --output json || true
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["AppName"] == "a", d
(s,) = d["Shards"]
assert s["ShardId"] == "shardId-000000000000" and s["Checkpoint"] == "29", s
assert s["LeaseOwner"] is None and s["LeaseExpiresInMillis"] is None, s
assert s["LagRecords"] == 5 and isinstance(s["LagMillis"], int) and s["LagMillis"] >= 0, s
' "$TEST_DIR/out" || fail "kds-checkpoint --app a --output json: $(cat "$TEST_DIR/out")"
# --set: the record and those before it count as processed.
expect_status 0 kds-checkpoint cp --app a --set shardId-000000000000 9 || true
consume cp --app a --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")" "$(lines 11 35)" "--set: kds-consume resumes right after the record set"
expect_error 2 "InvalidArgumentException" kds-checkpoint cp --app a --set shardId-000000000000 18446744073709551616
expect_status 0 kds-checkpoint cp --app a --reset TRIM_HORIZON || true
consume cp --app a --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")" "$(lines 1 35)" "--reset TRIM_HORIZON: everything again"
expect_status 0 kds-checkpoint cp --app a --reset LATEST || true
consume cp --app a --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")" "" "--reset LATEST: nothing"
lines 36 37 | kds-put cp --sync none
consume cp --app a --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")" "$(lines 36 37)" "--reset LATEST: what arrives afterwards"
# --set creates an application.
expect_status 0 kds-checkpoint cp --app created --set shardId-000000000000 34 || true
consume cp --app created --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")" "$(lines 36 37)" "--set creates the application there"
# AT_TIMESTAMP, for --reset and for a new application's --start; LATEST for --start.
sleep 0.05
at=$(python3 -c 'import time; print(f"{time.time():.3f}")')
sleep 0.05
lines 38 40 | kds-put cp --sync none
expect_status 0 kds-checkpoint cp --app a --reset AT_TIMESTAMP --timestamp "$at" || true
consume cp --app a --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")" "$(lines 38 40)" "--reset AT_TIMESTAMP"
consume cp --app ts --start AT_TIMESTAMP --timestamp "$at" --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")" "$(lines 38 40)" "--start AT_TIMESTAMP"
consume cp --app late --start LATEST --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")" "" "--start LATEST: nothing at first"
echo 41 | kds-put cp --sync none
consume cp --app late --start LATEST --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")" "41" "--start LATEST: then what arrives"
consume cp --app ts --start LATEST --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")" "41" "--start is ignored once the application has checkpoints"
# --delete.
expect_status 0 kds-checkpoint cp --app a --delete || true
expect_error 3 "Application a not found on stream cp" kds-checkpoint cp --app a
expect_status 0 kds-checkpoint cp || true
[[ $(awk 'NR > 1 && $1 == "a"' "$TEST_DIR/out") == "" ]] || fail "--delete: application a still listed: $(cat "$TEST_DIR/out")"
# A worker holds the lease: changes are refused (exit 4) until it stops; SIGTERM releases its leases.
kds-consume cp --app live --lease-timeout 2s >"$TEST_DIR/live.out" 2>"$TEST_DIR/live.err" &
live_pid=$!
live_holds() { kds-checkpoint cp --app live --output json 2>/dev/null | grep -q ":$live_pid\""; }
within 10 live_holds || fail "the worker $live_pid took no lease: $(kds-checkpoint cp --app live 2>&1)"
wait_for_lines "$TEST_DIR/live.out" 41 || true
expect_error 4 "running workers" kds-checkpoint cp --app live --set shardId-000000000000 0
grep -q ":$live_pid holds shardId-000000000000" "$TEST_DIR/err" || fail "the refusal names the worker and the shard: $(cat "$TEST_DIR/err")"
expect_error 4 "running workers" kds-checkpoint cp --app live --reset TRIM_HORIZON
expect_error 4 "running workers" kds-checkpoint cp --app live --delete
expect_status 0 kds-checkpoint cp || true
assert_eq "$(awk '$1 == "live" { print $3 }' "$TEST_DIR/out")" "1" "kds-checkpoint counts the running worker"
kill -TERM $live_pid
status=0
wait $live_pid || status=$?
assert_eq "$status" "143" "SIGTERM ends kds-consume with the signal's status"
assert_eq "$(cat "$TEST_DIR/live.out")" "$(lines 1 41)" "the worker printed every record"
assert_eq "$(cat "$TEST_DIR/live.err")" "" "the worker printed nothing on stderr"
expect_status 0 kds-checkpoint cp --app live || true
assert_eq "$(awk 'NR > 1 { print $3, $4 }' "$TEST_DIR/out")" "- -" "SIGTERM released the lease"
expect_status 0 kds-checkpoint cp --app live --set shardId-000000000000 0 || true

# --- i. Bad input: exit 2 (3 for an unknown stream) with one line on stderr, and the store unchanged
before=$(store_fingerprint)
check() {
  expect_error "$@"
  local after
  after=$(store_fingerprint)
  if [[ "$after" != "$before" ]]; then
    fail "'${*:3}' changed the store"
    before=$after
  fi
}
long_app=$(printf 'a%.0s' $(seq 1 256))
check 2 "app" timeout 60 kds-consume one --until-caught-up
check 2 "at 'app'.*regular expression" timeout 60 kds-consume one --app 'a/b' --until-caught-up
check 2 "app" timeout 60 kds-consume one --app .. --until-caught-up
check 2 "app" timeout 60 kds-consume one --app . --until-caught-up
check 2 "app" timeout 60 kds-consume one --app '' --until-caught-up
check 2 "app" timeout 60 kds-consume one --app "$long_app" --until-caught-up
check 2 "batch-size|batchSize" timeout 60 kds-consume one --app i --until-caught-up --batch-size 0
check 2 "batch-size|batchSize" timeout 60 kds-consume one --app i --until-caught-up --batch-size 10001
check 2 "batch-size" timeout 60 kds-consume one --app i --until-caught-up --batch-size many
check 2 "batch-window" timeout 60 kds-consume one --app i --until-caught-up --batch-window 10x
check 2 "batch-window" timeout 60 kds-consume one --app i --until-caught-up --batch-window 301s
check 2 "lease-timeout" timeout 60 kds-consume one --app i --until-caught-up --lease-timeout 0
check 2 "lease-timeout" timeout 60 kds-consume one --app i --until-caught-up --lease-timeout 2h
check 2 "retries" timeout 60 kds-consume one --app i --until-caught-up --retries 10001
check 2 "on-failure" timeout 60 kds-consume one --app i --until-caught-up --on-failure retry
check 2 "on-failure" timeout 60 kds-consume one --app i --until-caught-up --on-failure dead-letter:
check 2 "[Tt]imestamp" timeout 60 kds-consume one --app i --until-caught-up --start AT_TIMESTAMP
check 2 "start|NOPE" timeout 60 kds-consume one --app i --until-caught-up --start NOPE
check 3 "Stream nope" timeout 60 kds-consume nope --app i --until-caught-up
check 2 "at 'app'.*regular expression" kds-checkpoint one --app 'a/b'
check 2 "app" kds-checkpoint one --app ..
check 2 "app" kds-checkpoint one --set shardId-000000000000 1
check 2 "reset|NOPE" kds-checkpoint one --app i --reset NOPE
check 2 "[Tt]imestamp" kds-checkpoint one --app i --reset AT_TIMESTAMP
check 2 "." kds-checkpoint one --app i --set shardId-000000000000 one
check 2 "." kds-checkpoint one --app a --set shardId-000000000000 1 --delete
check 3 "Stream nope" kds-checkpoint nope
check 3 "Application nosuch not found on stream one" kds-checkpoint one --app nosuch
check 3 "Application nosuch not found on stream one" kds-checkpoint one --app nosuch --delete

# --- j. Expired checkpoint: records deleted by the size cap before the application read them
kds-create-stream exp --segment-size 4K --max-bytes 8K
lines 1 10 e | kds-put exp --sync none
# Application x processes e1..e5 (offsets 0..4): its first batch of 5 succeeds, the second fails and stops it.
expect_error 1 "status 1 .*checkpoint unchanged" timeout 60 kds-consume exp --app x --until-caught-up --batch-size 5 \
  --retries 0 -- sh -c 'cat >/dev/null; [ "$KDS_FIRST_SEQUENCE_NUMBER" = 0 ]'
expect_status 0 kds-checkpoint exp --app x || true
assert_eq "$(awk 'NR > 1 { print $2 }' "$TEST_DIR/out")" "4" "setup: application x checkpointed at record 4"
pad=$(printf 'x%.0s' $(seq 1 100))
for i in $(seq 1 20); do seq $((i * 100)) $((i * 100 + 49)) | sed "s/\$/ $pad/" | kds-put exp --sync none; done
oldest=$(kds-get exp --limit 1 -f '%o')
((oldest > 5)) || fail "setup: the size cap should have deleted the first records (oldest offset $oldest)"
consume exp --app x --until-caught-up
kds-get exp >"$TEST_DIR/exp.all"
assert_files_equal "$TEST_DIR/out" "$TEST_DIR/exp.all" "an expired checkpoint resumes at the oldest stored record"
assert_eq "$(wc -l <"$TEST_DIR/err")" "1" "one warning for the one shard: $(cat "$TEST_DIR/err")"
grep -qE "^kds-consume: warning: shardId-000000000000: $((oldest - 5)) records expired before application x read them" "$TEST_DIR/err" ||
  fail "the warning counts the $((oldest - 5)) expired records: $(cat "$TEST_DIR/err")"
consume exp --app x --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")$(cat "$TEST_DIR/err")" "" "no warning once caught up"
# A new application starting at TRIM_HORIZON has missed nothing: no warning.
consume exp --app fresh --until-caught-up
assert_files_equal "$TEST_DIR/out" "$TEST_DIR/exp.all" "a new application reads from the oldest stored record"
assert_eq "$(cat "$TEST_DIR/err")" "" "no warning for a new application"
# --- k. --parallel K: K workers in one process share the shards; every record once, batches whole
kds-create-stream par --shard-count 4
keyed 1 3000 | kds-put par --sync none -K :
consume par --app p --parallel 3 --until-caught-up --batch-size 100
assert_eq "$(sort -n "$TEST_DIR/out" | uniq | wc -l) $(wc -l <"$TEST_DIR/out")" "3000 3000" "--parallel 3 prints every record once"
consume par --app q --parallel 4 --until-caught-up --batch-size 100 -- sh -c 'echo "$KDS_SHARD_ID $(wc -l)"'
assert_eq "$(awk '{ n += $2 } END { print n }' "$TEST_DIR/out")" "3000" "--parallel 4 with COMMAND: every record once"
consume par --app p --parallel 2 --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")" "" "--parallel resumes from the checkpoints"
# kds-describe-stream shows each application's lag.
keyed 3001 3010 | kds-put par --sync none -K :
assert_eq "$(kds-describe-stream par --output json |
  python3 -c 'import json, sys; print(" ".join("%s:%s" % (a["AppName"], a["LagRecords"]) for a in json.load(sys.stdin)["Applications"]))')" \
  "p:10 q:10" "kds-describe-stream --output json lists the applications and their lag"
kds-describe-stream par | grep -qE '^q +0 +10 ' || fail "kds-describe-stream's table of applications: $(kds-describe-stream par | tail -3)"
# One worker's failure stops the others, and the failure is what is reported.
keyed 3011 3100 | kds-put par --sync none -K :
expect_error 1 "COMMAND exited with status 3 on shardId-.*checkpoint unchanged" timeout 60 kds-consume par --app pf \
  --parallel 4 --retries 0 --until-caught-up -- sh -c 'cat >/dev/null; exit 3'
before=$(store_fingerprint)
check 2 "parallel" kds-consume par --app p --parallel 0
check 2 "parallel" kds-consume par --app p --parallel 65
# --- l. A batch that takes longer than the lease timeout keeps its lease: no other worker takes the shard
# meanwhile (its leases are renewed while COMMAND runs)
kds-create-stream slow
lines 1 6 s | kds-put slow --sync none
slow_cmd='cat >>"$0"; sleep 2.5'
timeout 60 kds-consume slow --app slow --lease-timeout 1s --batch-size 2 -- sh -c "$slow_cmd" "$TEST_DIR/slow.out" &
slow_a=$!
sleep 0.5
timeout 60 kds-consume slow --app slow --lease-timeout 1s --batch-size 2 -- sh -c "$slow_cmd" "$TEST_DIR/slow.out" &
slow_b=$!
slow_done() { [[ -f "$TEST_DIR/slow.out" && $(wc -l <"$TEST_DIR/slow.out") -ge 6 ]]; }
within 30 slow_done || fail "the slow batches were not all processed"
sleep 1
kill -TERM "$slow_a" "$slow_b" 2>/dev/null || true
wait "$slow_a" "$slow_b" 2>/dev/null || true
assert_eq "$(sort "$TEST_DIR/slow.out" | uniq -d | wc -l) $(wc -l <"$TEST_DIR/slow.out")" "0 6" \
  "batches longer than the lease timeout are processed once: $(tr '\n' ' ' <"$TEST_DIR/slow.out")"
# --- m. Closed shards whose last records cannot be read (damaged here; expired is alike) still finish, so
# their children are processed; a new application at AT_TIMESTAMP after every record reads nothing old;
# a failing record too large for the dead-letter envelope is named there instead of blocking its shard.
kds-create-stream cut
echo p1 | kds-put cut --sync none
parent_log=$(ls "$KDS_STORE/cut.stream/shardId-000000000000/"*.log | head -1)
first_batch_end=$(stat -c %s "$parent_log")
echo p2 | kds-put cut --sync none
kds-split-shard cut shardId-000000000000 >/dev/null
echo c1 | kds-put cut --sync none
truncate -s "$first_batch_end" "$parent_log"
expect_status 7 timeout 60 kds-consume cut --app cut --until-caught-up || true
assert_eq "$(tr '\n' ' ' <"$TEST_DIR/out")" "p1 c1 " "the damaged parent finishes and its child is read"
grep -q 'shardId-000000000000' "$TEST_DIR/err" || fail "the damage is reported: $(cat "$TEST_DIR/err")"

kds-create-stream late
lines 1 2 old | kds-put late --sync none
sleep 1.2
after_all=$(date +%s.%N | cut -c1-14)
consume late --app late --start AT_TIMESTAMP --timestamp "$after_all" --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")" "" "AT_TIMESTAMP after every record: nothing old"
echo new1 | kds-put late --sync none
consume late --app late --until-caught-up
assert_eq "$(cat "$TEST_DIR/out")" "new1" "then what arrives"

kds-create-stream big
kds-create-stream bigdl
head -c 800000 /dev/zero | tr '\0' x | kds-put big --sync none
consume big --app big --until-caught-up --retries 0 --on-failure dead-letter:bigdl -- false
kds-get bigdl --output json >"$TEST_DIR/bigdl.json"
python3 -c 'import base64, json, sys
line = json.load(open(sys.argv[1]))
env = json.loads(base64.b64decode(line["Data"]))
assert env["DataOmitted"] is True and env["DataBytes"] == 800000 and env["Data"] == "", env' "$TEST_DIR/bigdl.json" ||
  fail "a record too large for the envelope is named in the dead-letter stream: $(head -c 300 "$TEST_DIR/bigdl.json")"
assert_eq "$(kds-checkpoint big --app big --output json | python3 -c 'import json, sys; print(json.load(sys.stdin)["Shards"][0]["LagRecords"])')" \
  "0" "and the checkpoint moves past it"
# --- n. A worker that stalled past its lease picks up a checkpoint changed meanwhile (kds-checkpoint
# --reset, allowed once its lease expired) instead of writing its old one back
kds-create-stream stall
lines 1 3 r | kds-put stall --sync none
# Not under timeout(1): SIGSTOP must reach kds-consume itself. The EXIT trap kills it if the test fails.
kds-consume stall --app st --lease-timeout 1s -u >"$TEST_DIR/stall.out" 2>"$TEST_DIR/stall.err" &
stall_pid=$!
wait_for_lines "$TEST_DIR/stall.out" 3
kill -STOP "$stall_pid"
sleep 1.6
expect_status 0 kds-checkpoint stall --app st --reset TRIM_HORIZON || true
kill -CONT "$stall_pid"
sleep 1
echo r4 | kds-put stall --sync none
wait_for_lines "$TEST_DIR/stall.out" 7
kill -TERM "$stall_pid" 2>/dev/null || true
wait "$stall_pid" 2>/dev/null || true
assert_eq "$(tr '\n' ' ' <"$TEST_DIR/stall.out")" "r1 r2 r3 r1 r2 r3 r4 " "the reset made while the worker stalled is followed"
pass
