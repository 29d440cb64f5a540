#!/usr/bin/env bash
# The AWS SDK for JavaScript v3 (HTTP/2 with prior knowledge, its default) and h2load against kds-serve,
# SubscribeToShard's event stream among the calls; a stop with an HTTP/2 connection open sends GOAWAY and
# exits 0.
source "$(dirname "$0")/lib.sh"
JS_DIR="$(cd "$(dirname "$0")/js" && pwd)"
[[ -d $JS_DIR/node_modules/@aws-sdk/client-kinesis ]] ||
  { fail "the JS SDK is missing: run scripts/install-deps"; exit 1; }

start_server
node "$JS_DIR/sdk_client.mjs" "$ENDPOINT" || fail "JS SDK client"
node "$JS_DIR/tags_consumers.mjs" "$ENDPOINT" || fail "JS SDK tags and consumers"
node "$JS_DIR/subscribe.mjs" "$ENDPOINT" || fail "JS SDK SubscribeToShard"
node "$JS_DIR/max_record_size.mjs" "$ENDPOINT" >/dev/null || fail "JS SDK: records of up to 10 MiB"
assert_eq "$(kds-get large -f '%S\n' | tr '\n' ' ')" "2097151 10485759 3145728 3145728 3145728 " \
  "kds-get reads the large records the JS SDK put"
assert_eq "$(kds-get js -f '%k\n' | wc -l)" 521 "kds-get reads the 521 records the JS SDK put"

# curl with HTTP/2 prior knowledge.
curl -sS --http2-prior-knowledge -o "$TEST_DIR/curl.out" -w '%{http_version} %{http_code}\n' -X POST \
  -H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Target: Kinesis_20131202.ListStreams' \
  -H 'X-Amz-Date: 20261206T000000Z' \
  -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=00' \
  --data '{}' "$ENDPOINT/" >"$TEST_DIR/curl.status" || fail "curl --http2-prior-knowledge"
assert_eq "$(cat "$TEST_DIR/curl.status")" "2 200" "curl speaks HTTP/2 and is answered"
grep -q '"StreamNames":\["js","large"\]' "$TEST_DIR/curl.out" || fail "curl's answer: $(cat "$TEST_DIR/curl.out")"

# The preface, then bytes that are no HTTP/2 frame: that connection ends, the server goes on.
exec 3<>"/dev/tcp/127.0.0.1/${ENDPOINT##*:}"
(trap '' PIPE; printf 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff' >&3) 2>/dev/null ||
  true # the server may close before the write is done
timeout 10 cat <&3 >/dev/null || fail "a connection that breaks HTTP/2 is not closed"
exec 3<&-

# h2load: 400 PutRecord requests over 2 connections, 20 streams at a time on each.
body="$TEST_DIR/put-record.json"
printf '{"StreamName":"js","PartitionKey":"load","Data":"aGVsbG8="}' >"$body"
h2load -n 400 -c 2 -m 20 -d "$body" -H 'X-Amz-Target: Kinesis_20131202.PutRecord' \
  -H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Date: 20261206T000000Z' \
  -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=00' \
  "$ENDPOINT/" >"$TEST_DIR/h2load.out" 2>&1 || fail "h2load: $(cat "$TEST_DIR/h2load.out")"
grep -q '400 succeeded, 0 failed, 0 errored' "$TEST_DIR/h2load.out" &&
  grep -q 'status codes: 400 2xx' "$TEST_DIR/h2load.out" ||
  fail "h2load: not every request succeeded: $(grep -E 'requests:|status codes' "$TEST_DIR/h2load.out")"
grep -q 'Application protocol: h2c' "$TEST_DIR/h2load.out" || fail "h2load did not speak h2c"
assert_eq "$(kds-get js -f '%k\n' | grep -c '^load$')" 400 "every PutRecord h2load sent is stored"
[[ $(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code}' "$ENDPOINT/") == 403 ]] ||
  fail "the server stops serving after a broken connection"

# SIGTERM while a client holds an idle HTTP/2 connection: GOAWAY, the connection closes, exit 0.
node "$JS_DIR/hold_connection.mjs" "$ENDPOINT" >"$TEST_DIR/hold.out" 2>&1 &
holder=$!
wait_for_lines "$TEST_DIR/hold.out" 2 || fail "the HTTP/2 client did not get its answer: $(cat "$TEST_DIR/hold.out")"
stop_server || fail "kds-serve exits 0 on SIGTERM with an HTTP/2 connection open"
wait "$holder" || fail "the HTTP/2 client failed: $(cat "$TEST_DIR/hold.out")"
assert_eq "$(tr '\n' ' ' <"$TEST_DIR/hold.out")" "status 200 ready goaway 0 closed " \
  "the held connection gets GOAWAY (NO_ERROR) and is closed"

# An event stream outlives the idle timeout: the client sends nothing while it reads, yet the stream runs its
# lifetime out and ends cleanly.
start_server --idle-timeout 2 --subscription-lifetime 8
kds-create-stream quiet
consumer=$(aws_kinesis register-stream-consumer --stream-arn arn:aws:kinesis:us-east-1:000000000000:stream/quiet \
  --consumer-name idle --query Consumer.ConsumerARN --output text) || fail "register-stream-consumer"
node "$JS_DIR/subscribe_long.mjs" "$ENDPOINT" "$consumer" shardId-000000000000 ||
  fail "an HTTP/2 event stream longer than the idle timeout"
stop_server || fail "kds-serve exits 0 on SIGTERM"
pass
