#!/usr/bin/env bash
# Remote mode of kds-put, kds-get and kds-tail against a real kds-serve: every record acknowledged is stored
# once, with the sequence number it was acknowledged with, in input order per partition key (across a
# reshard too); kds-get and kds-tail read what the local tools read. Then through fault_proxy.py, an
# endpoint that fails PutRecords entries, whole requests and reads as Amazon Kinesis can: nothing is lost,
# nothing is stored twice, each key stays in order; and when the failures never end, kds-put says so.
source "$(dirname "$0")/lib.sh"
served="$TEST_DIR/served"
start_server --store "$served"
remote=(--endpoint "$ENDPOINT")

# Helpers in Python: per-key order and acknowledgements checked against the server's store.
cat >"$TEST_DIR/check.py" <<'PY'
import collections, json, sys

def by_key(lines):
    groups = collections.defaultdict(list)
    for line in lines:
        key, data = line.split(",", 1)
        groups[key].append(data)
    return groups

def read(path):
    return open(path).read().splitlines()

what = sys.argv[1]
if what == "order":  # INPUT READ: the same records, each key's in input order
    want, got = by_key(read(sys.argv[2])), by_key(read(sys.argv[3]))
    assert want == got, "per-key order or content differs"
elif what == "order-once":  # INPUT READ: as "order", where a record may come twice in a row in its key
    want, got = by_key(read(sys.argv[2])), by_key(read(sys.argv[3]))
    for key, records in got.items():
        got[key] = [r for i, r in enumerate(records) if i == 0 or records[i - 1] != r]
    assert want == got, "per-key order or content differs"
elif what == "acks":  # INPUT ACKS STORED: ack i names the stored record of input line i
    lines, acks = read(sys.argv[2]), [json.loads(a) for a in read(sys.argv[3])]
    stored = dict(line.split(" ", 1) for line in read(sys.argv[4]))
    assert len(acks) == len(lines), (len(acks), len(lines))
    for line, ack in zip(lines, acks):
        assert ack["EncryptionType"] == "NONE" and ack["ShardId"].startswith("shardId-"), ack
        assert stored[ack["SequenceNumber"]] == line, (line, ack)
PY
check() { "$PYTHON" "$TEST_DIR/check.py" "$@"; }

kds-create-stream "${remote[@]}" orders --shard-count 3 || fail "create-stream"
awk 'BEGIN { for (i = 1; i <= 30000; i++) print "k" (i * 7919 % 64) "," i }' >"$TEST_DIR/in"
kds-put "${remote[@]}" -K , --output json orders <"$TEST_DIR/in" >"$TEST_DIR/acks" || fail "kds-put --endpoint"
kds-get --store "$served" orders -f '%o %k,%s\n' >"$TEST_DIR/stored" || fail "local read of the served store"
assert_eq "$(wc -l <"$TEST_DIR/stored")" "30000" "every record stored once"
check acks "$TEST_DIR/in" "$TEST_DIR/acks" "$TEST_DIR/stored" || fail "acknowledgements name the stored records"
kds-get "${remote[@]}" orders -f '%k,%s\n' >"$TEST_DIR/read" || fail "kds-get --endpoint"
check order "$TEST_DIR/in" "$TEST_DIR/read" || fail "kds-get --endpoint: per-key order"
# Shard by shard, as the local tool: the same bytes.
kds-get --store "$served" orders -f '%p %o %k %s\n' >"$TEST_DIR/local" || fail "local kds-get"
kds-get "${remote[@]}" orders -f '%p %o %k %s\n' >"$TEST_DIR/remote" || fail "remote kds-get"
assert_files_equal "$TEST_DIR/local" "$TEST_DIR/remote" "kds-get --endpoint reads what kds-get reads"
kds-get --store "$served" orders --output json --shard-id 2 --limit 7 >"$TEST_DIR/local" || fail "local json"
kds-get "${remote[@]}" orders --output json --shard-id 2 --limit 7 >"$TEST_DIR/remote" || fail "remote json"
assert_files_equal "$TEST_DIR/local" "$TEST_DIR/remote" "--output json, --shard-id, --limit"

# Records by sequence number; a start at one; errors as locally.
numbers=($(sed -n '17p;2900p;29999p' "$TEST_DIR/stored" | cut -d' ' -f1))
kds-get "${remote[@]}" orders "${numbers[@]}" -f '%k,%s\n' >"$TEST_DIR/remote" || fail "kds-get NUMBER --endpoint"
kds-get --store "$served" orders "${numbers[@]}" -f '%k,%s\n' >"$TEST_DIR/local" || fail "kds-get NUMBER"
assert_files_equal "$TEST_DIR/local" "$TEST_DIR/remote" "records by sequence number"
kds-get "${remote[@]}" orders --sequence-number "${numbers[1]}" --limit 2 -f '%o\n' >"$TEST_DIR/remote" ||
  fail "--sequence-number --endpoint"
kds-get --store "$served" orders --sequence-number "${numbers[1]}" --limit 2 -f '%o\n' >"$TEST_DIR/local"
assert_files_equal "$TEST_DIR/local" "$TEST_DIR/remote" "reading from a sequence number"
expect_error 3 "^kds-get: ResourceNotFoundException: " kds-get "${remote[@]}" orders 999999999999999999999999
expect_error 3 "^kds-get: ResourceNotFoundException: " kds-get "${remote[@]}" missing
expect_error 2 "^kds-get: InvalidArgumentException: The timestampInMillis parameter cannot be greater" \
  kds-get "${remote[@]}" orders --timestamp 4102444800
expect_error 2 "^kds-get: --encryption-key-file: a local key file, which a Kinesis endpoint" \
  kds-get "${remote[@]}" orders --encryption-key-file /dev/null

# A reshard between two runs of kds-put: kds-get reads the parent before its children, so each key's
# records still come in input order.
kds-split-shard "${remote[@]}" orders 0 >/dev/null || fail "split-shard"
awk 'BEGIN { for (i = 30001; i <= 32000; i++) print "k" (i * 7919 % 64) "," i }' >"$TEST_DIR/more"
kds-put "${remote[@]}" -K , orders <"$TEST_DIR/more" || fail "kds-put after the split"
cat "$TEST_DIR/in" "$TEST_DIR/more" >"$TEST_DIR/all"
kds-get "${remote[@]}" orders -f '%k,%s\n' >"$TEST_DIR/read" || fail "kds-get after the split"
check order "$TEST_DIR/all" "$TEST_DIR/read" || fail "per-key order across a split"

# One key: one record in flight at a time, so the order holds however requests are answered.
kds-create-stream "${remote[@]}" one || fail "create one"
seq 1 300 | kds-put "${remote[@]}" one || fail "kds-put of one key"
assert_eq "$(kds-get "${remote[@]}" one | tr '\n' ' ')" "$(seq 1 300 | tr '\n' ' ')" "one key in input order"

# kds-tail: the last lines, a start from record K that waits for what comes, and a child after its
# parent.
assert_eq "$(kds-tail "${remote[@]}" one -n 3 --count 3 | tr '\n' ' ')" "298 299 300 " "kds-tail -n 3"
assert_eq "$(timeout 20 kds-tail "${remote[@]}" one -n 2 | head -1)" "299" "kds-tail ends when its reader goes"
timeout 60 kds-tail "${remote[@]}" one -n +301 --count 4 >"$TEST_DIR/tail" &
tail_pid=$!
sleep 0.5
printf 'x,a\nx,b\n' | kds-put "${remote[@]}" -K , one || fail "put while kds-tail follows"
kds-split-shard "${remote[@]}" one 0 >/dev/null || fail "split while kds-tail follows"
printf 'x,c\nx,d\n' | kds-put "${remote[@]}" -K , one || fail "put to the children"
wait "$tail_pid" || fail "kds-tail --count 4 did not end by itself"
assert_eq "$(tr '\n' ' ' <"$TEST_DIR/tail")" "a b c d " "kds-tail follows a shard into its children"

# kds-put's own refusals: before any input is read, one line each, the store untouched.
expect_error 3 "^kds-put: ResourceNotFoundException: Stream missing under account 000000000000 not found\.$" \
  kds-put "${remote[@]}" missing </dev/null
expect_error 2 "^kds-put: --sync: the local store's durability" kds-put "${remote[@]}" --sync none one </dev/null
printf 'k,ok\n,empty key\n' | expect_error 6 "^kds-put: stdin: line 2: ValidationException: " \
  kds-put "${remote[@]}" -K , one
assert_eq "$(kds-get "${remote[@]}" one | grep -cx ok || true)" "0" "a bad record: the records read with it not sent"
[[ ! -e $KDS_STORE ]] || fail "remote mode made the local store"

# Through the fault proxy: 30% of entries refused, 5% of requests failing, 10% of reads throttled.
start_proxy() {
  : >"$TEST_DIR/proxy.out"  # before the job starts: the loop below may read it first
  "$PYTHON" "$KDS_SOURCE/tests/serve/fault_proxy.py" "$ENDPOINT" "$@" >"$TEST_DIR/proxy.out" \
    2>"$TEST_DIR/proxy.err" &
  proxy_pid=$!
  for _ in $(seq 1 200); do
    proxy=$(sed -n 's/^listening on //p' "$TEST_DIR/proxy.out")
    [[ -n "$proxy" ]] && return 0
    sleep 0.05
  done
  fail "fault_proxy.py did not start: $(cat "$TEST_DIR/proxy.err")"
  exit 1
}
stop_proxy() { kill "$proxy_pid"; wait "$proxy_pid" 2>/dev/null || true; }
start_proxy --fail-entries 0.3 --fail-requests 0.05 --throttle-reads 0.1
kds-create-stream "${remote[@]}" faulty --shard-count 2 || fail "create faulty"
awk 'BEGIN { for (i = 1; i <= 1500; i++) print "k" (i % 20) "," i }' >"$TEST_DIR/in"
kds-put --endpoint "$proxy" -K , --output json faulty <"$TEST_DIR/in" >"$TEST_DIR/acks" ||
  fail "kds-put through failures"
kds-get --store "$served" faulty -f '%o %k,%s\n' >"$TEST_DIR/stored"
assert_eq "$(wc -l <"$TEST_DIR/stored")" "1500" "through failures: every record stored once"
check acks "$TEST_DIR/in" "$TEST_DIR/acks" "$TEST_DIR/stored" || fail "through failures: acknowledgements"
kds-get --endpoint "$proxy" faulty -f '%k,%s\n' >"$TEST_DIR/read" || fail "kds-get through throttling"
check order "$TEST_DIR/in" "$TEST_DIR/read" || fail "through failures: per-key order"
stop_proxy
grep -q '"entries_failed": [1-9]' "$TEST_DIR/proxy.err" || fail "the proxy failed no entry: $(cat "$TEST_DIR/proxy.err")"

# Answers lost after the records were stored: they are sent again (at least once), and a copy comes right
# after its original in its key, never out of order.
start_proxy --lose-answers 0.2
kds-create-stream "${remote[@]}" lossy --shard-count 2 || fail "create lossy"
awk 'BEGIN { for (i = 1; i <= 1500; i++) print "k" (i % 20) "," i }' >"$TEST_DIR/in"
kds-put --endpoint "$proxy" -K , lossy <"$TEST_DIR/in" || fail "kds-put through lost answers"
stop_proxy
grep -q '"answers_lost": [1-9]' "$TEST_DIR/proxy.err" || fail "the proxy lost no answer: $(cat "$TEST_DIR/proxy.err")"
kds-get --store "$served" lossy -f '%k,%s\n' >"$TEST_DIR/read"
(($(wc -l <"$TEST_DIR/read") > 1500)) || fail "lost answers: no record stored twice"
check order-once "$TEST_DIR/in" "$TEST_DIR/read" || fail "lost answers: a copy out of order"

# Failures that never end: kds-put gives up with the record's error, and acknowledges nothing unstored.
start_proxy --fail-entries 1
printf 'a\nb\nc\n' >"$TEST_DIR/in"
expect_error 5 "^kds-put: ProvisionedThroughputExceededException: .*\(a record not stored after 10 attempts\); 3 records not acknowledged$" \
  kds-put --endpoint "$proxy" --output json faulty <"$TEST_DIR/in"
stop_proxy
assert_eq "$(kds-get --store "$served" faulty | wc -l)" "1500" "nothing stored by the failing put"

# SIGINT ends kds-tail at once, also while its reads are throttled without end or never answered (before,
# it waited on for ever, or for libcurl's two-minute timeout). interrupt_tail SIGN N: interrupts kds-tail
# once the proxy has written SIGN N times on its standard error.
interrupt_tail() {
  local sign=$1 times=$2 pid status=0
  kds-tail --endpoint "$proxy" faulty -n +1 >"$TEST_DIR/tail.out" 2>"$TEST_DIR/tail.err" &
  pid=$!
  for _ in $(seq 1 400); do
    (($(grep -c "$sign" "$TEST_DIR/proxy.err") >= times)) && break
    sleep 0.05
  done
  (($(grep -c "$sign" "$TEST_DIR/proxy.err") >= times)) || fail "the proxy never wrote '$sign' $times times"
  kill -INT "$pid"
  wait_gone "$pid" 10 "kds-tail (SIGINT, $sign)" || true
  wait "$pid" || status=$?
  assert_eq "$status" "130" "SIGINT ends kds-tail with the signal's status ($sign)"
  assert_eq "$(cat "$TEST_DIR/tail.err")" "" "nothing on stderr after SIGINT ($sign)"
  assert_eq "$(wc -l <"$TEST_DIR/tail.out")" "0" "no record read ($sign)"
}
start_proxy --throttle-reads 1
interrupt_tail "throttled GetRecords" 2
stop_proxy
start_proxy --hang GetRecords
interrupt_tail "hung GetRecords" 1
stop_proxy
pass
