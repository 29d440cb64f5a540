#!/usr/bin/env bash
# kds-tail --consumer against a real kds-serve: enhanced fan-out (RegisterStreamConsumer once, then
# SubscribeToShard on every shard). The server ends each subscription after a second here (Kinesis: five
# minutes), so kds-tail subscribes again many times: every record still comes exactly once, each key's in
# order, across a split too; the output is what polling kds-tail prints; errors are one line.
source "$(dirname "$0")/lib.sh"
start_server --store "$TEST_DIR/served" --subscription-lifetime 1
remote=(--endpoint "$ENDPOINT")

# in_order FILE N: FILE has N lines "kKEY,NUMBER", each number once and each key's numbers ascending.
in_order() {
  assert_eq "$(wc -l <"$1")" "$2" "$1: records read"
  assert_eq "$(cut -d, -f2 "$1" | sort -n | uniq | wc -l)" "$2" "$1: each record once"
  assert_eq "$(awk -F, '$2 + 0 < last[$1] { print "out of order: " $0 } { last[$1] = $2 + 0 }' "$1")" "" \
    "$1: each key's records in order"
}
records() { seq "$1" "$2" | awk '{ print "k" ($1 % 13) "," $1 }'; }

# Records already there, from the start of three shards.
kds-create-stream "${remote[@]}" stored --shard-count 3 || fail "create-stream"
records 1 3000 | kds-put "${remote[@]}" -K , stored || fail "put"
timeout 60 kds-tail "${remote[@]}" --consumer app stored -n +1 --count 3000 -f '%k,%s\n' >"$TEST_DIR/read" ||
  fail "kds-tail --consumer -n +1"
in_order "$TEST_DIR/read" 3000

# Following while records come, across many re-subscriptions and a split: nothing missed or repeated.
kds-create-stream "${remote[@]}" live --shard-count 2 || fail "create-stream live"
timeout 90 kds-tail "${remote[@]}" --consumer app live -n +1 --count 1500 -f '%k,%s\n' >"$TEST_DIR/live" &
tail_pid=$!
records 1 500 | kds-put "${remote[@]}" -K , live || fail "put 1"
wait_for_lines "$TEST_DIR/live" 500
sleep 2.5  # two subscription lifetimes
records 501 1000 | kds-put "${remote[@]}" -K , live || fail "put 2"
wait_for_lines "$TEST_DIR/live" 1000
kds-split-shard "${remote[@]}" live 0 >/dev/null || fail "split while kds-tail --consumer follows"
records 1001 1500 | kds-put "${remote[@]}" -K , live || fail "put to the children"
wait "$tail_pid" || fail "kds-tail --consumer --count 1500 did not end by itself"
in_order "$TEST_DIR/live" 1500

# The consumer was registered once, by the first run.
"$PYTHON" - "$ENDPOINT" <<'PY' || fail "one consumer registered per stream"
import boto3, sys
kinesis = boto3.client("kinesis", endpoint_url=sys.argv[1])
for stream in ("stored", "live"):
    arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
    names = [c["ConsumerName"] for c in kinesis.list_stream_consumers(StreamARN=arn)["Consumers"]]
    assert names == ["app"], (stream, names)
PY

# The same output as polling kds-tail, for every output option.
for format in "--output json" "-f %p/%o/%k/%t/%T/%s\n" "-0"; do
  # shellcheck disable=SC2086  # the options are words
  kds-tail "${remote[@]}" stored --shard-id 1 -n +1 --count 50 $format >"$TEST_DIR/polled" || fail "polled"
  # shellcheck disable=SC2086
  kds-tail "${remote[@]}" --consumer app stored --shard-id 1 -n +1 --count 50 $format >"$TEST_DIR/pushed" ||
    fail "kds-tail --consumer $format"
  assert_files_equal "$TEST_DIR/polled" "$TEST_DIR/pushed" "kds-tail --consumer $format"
done
# -n N: the last records read with GetRecords, then followed by subscription.
assert_eq "$(kds-tail "${remote[@]}" --consumer other live --shard-id 0 -n 2 --count 2 -f '%s ')" \
  "$(kds-tail "${remote[@]}" live --shard-id 0 -n 2 --count 2 -f '%s ')" "kds-tail --consumer -n 2"

# A signal ends it at once; a gone reader ends it as SIGPIPE.
kds-tail "${remote[@]}" --consumer app live -n 0 >/dev/null &
tail_pid=$!
sleep 1
kill -INT "$tail_pid"
status=0
wait "$tail_pid" || status=$?
assert_eq "$status" "130" "kds-tail --consumer ends by SIGINT"
status=0
timeout 20 kds-tail "${remote[@]}" --consumer app stored -n +1 | head -1 >/dev/null || status=${PIPESTATUS[0]}
assert_eq "$status" "141" "kds-tail --consumer ends by SIGPIPE when its reader goes"

# Refusals: one line each.
before=$(store_fingerprint)
expect_error 2 "^kds-tail: --consumer .*needs --endpoint" kds-tail --consumer app stored
assert_eq "$(store_fingerprint)" "$before" "a refused local --consumer changes nothing"
expect_error 2 "^kds-tail: ValidationException: .*consumerName" kds-tail "${remote[@]}" --consumer 'bad name' stored
expect_error 3 "^kds-tail: ResourceNotFoundException: Stream nowhere " \
  kds-tail "${remote[@]}" --consumer app nowhere
# The stream deleted under a subscription: the endpoint's error, not a hang.
kds-create-stream "${remote[@]}" doomed || fail "create-stream doomed"
timeout 30 kds-tail "${remote[@]}" --consumer app doomed -n 0 2>"$TEST_DIR/doomed.err" &
tail_pid=$!
sleep 1
kds-delete-stream "${remote[@]}" --enforce-consumer-deletion doomed || fail "delete-stream"
status=0
wait "$tail_pid" || status=$?
assert_eq "$status" "3" "kds-tail --consumer on a deleted stream"
assert_eq "$(grep -c 'ResourceNotFoundException' "$TEST_DIR/doomed.err")" "1" "one line for the deleted stream"
pass
