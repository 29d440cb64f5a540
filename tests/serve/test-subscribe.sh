#!/usr/bin/env bash
# SubscribeToShard through boto3 (an event stream in a chunked HTTP/1.1 body): records as they arrive, the
# subscription's lifetime, one subscription per consumer and shard, the end of a closed shard; a stop ends a
# subscription under way and exits 0. (The AWS CLI has no subscribe-to-shard: it has no event-stream output.)
source "$(dirname "$0")/lib.sh"
kds-create-stream feed --shard-count 1
printf 'one\ntwo\nthree\n' | kds-put feed -k key
put="$TEST_DIR/put-one"
printf '#!/bin/sh\nprintf "%%s\\n" "$1" | kds-put feed -k key\n' >"$put"
chmod +x "$put"

start_server --subscription-lifetime 3
arn=arn:aws:kinesis:us-east-1:000000000000:stream/feed
consumer=$(aws_kinesis register-stream-consumer --stream-arn "$arn" --consumer-name fanout \
  --query Consumer.ConsumerARN --output text) || fail "register-stream-consumer"
"$PYTHON" "$(dirname "$0")/boto3_subscribe.py" "$ENDPOINT" "$consumer" "$put" lifetime ||
  fail "boto3: SubscribeToShard with a 3 s lifetime"

# 3 MB of records: several events (at most 2 MiB each), each written in chunks of at most 256 KiB.
kds-create-stream big
"$PYTHON" -c 'import sys
for i in range(30): sys.stdout.write("%02d" % i + "x" * 99998 + "\n")' | kds-put big -k key
big=$(aws_kinesis register-stream-consumer --stream-arn arn:aws:kinesis:us-east-1:000000000000:stream/big \
  --consumer-name fanout --query Consumer.ConsumerARN --output text) || fail "register-stream-consumer"
"$PYTHON" "$(dirname "$0")/boto3_subscribe.py" "$ENDPOINT" "$big" "$put" big || fail "boto3: 3 MB through a subscription"
stop_server || fail "kds-serve exits 0 on SIGTERM"

# A longer lifetime: a subscription older than 5 s is taken over.
start_server --subscription-lifetime 60
"$PYTHON" "$(dirname "$0")/boto3_subscribe.py" "$ENDPOINT" "$consumer" "$put" takeover ||
  fail "boto3: a subscription taken over"

# SIGTERM while a subscription is under way: the event stream ends, the server exits 0.
"$PYTHON" "$(dirname "$0")/boto3_subscribe.py" "$ENDPOINT" "$consumer" "$put" hold >"$TEST_DIR/held.out" 2>&1 &
holder=$!
wait_for_lines "$TEST_DIR/held.out" 1 || fail "the subscriber did not start: $(cat "$TEST_DIR/held.out")"
stop_server || fail "kds-serve exits 0 on SIGTERM with a subscription under way"
wait "$holder" || fail "the held subscription: $(cat "$TEST_DIR/held.out")"
assert_eq "$(tr '\n' ' ' <"$TEST_DIR/held.out")" "subscribed ended ok " "the stop ended the event stream"
pass
