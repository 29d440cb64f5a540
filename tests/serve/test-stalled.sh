#!/usr/bin/env bash
# SubscribeToShard clients that stop reading — one over HTTP/2 (nghttp, stopped with SIGSTOP: its
# flow-control window stays shut) and one over HTTP/1.1 (a socket never read: its TCP buffers fill) —
# while records keep coming: the server keeps only a bounded part of what it cannot send, answers its other
# clients, and on SIGTERM ends them after a short grace instead of waiting out its idle timeout.
source "$(dirname "$0")/lib.sh"
start_server --store "$TEST_DIR/served"
aws_kinesis create-stream --stream-name s --shard-count 1 || fail "create-stream"
arn=$(aws_kinesis describe-stream-summary --stream-name s --query StreamDescriptionSummary.StreamARN --output text)
subscribe_body() {  # CONSUMER-NAME: registers it, waits until it is ACTIVE, prints a SubscribeToShard body
  local consumer
  consumer=$(aws_kinesis register-stream-consumer --stream-arn "$arn" --consumer-name "$1" \
    --query Consumer.ConsumerARN --output text) || fail "register $1"
  for _ in $(seq 1 100); do
    [[ $(aws_kinesis describe-stream-consumer --consumer-arn "$consumer" \
      --query ConsumerDescription.ConsumerStatus --output text) == ACTIVE ]] && break
    sleep 0.1
  done
  printf '{"ConsumerARN":"%s","ShardId":"shardId-000000000000","StartingPosition":{"Type":"TRIM_HORIZON"}}' \
    "$consumer"
}
signed=(-H 'content-type: application/x-amz-json-1.1' -H 'x-amz-target: Kinesis_20131202.SubscribeToShard'
  -H 'x-amz-date: 20261203T000000Z'
  -H 'authorization: AWS4-HMAC-SHA256 Credential=a/20261203/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=00')

subscribe_body h2 >"$TEST_DIR/h2.json"
nghttp -n -d "$TEST_DIR/h2.json" "${signed[@]}" "$ENDPOINT/" >"$TEST_DIR/nghttp.out" 2>&1 &
h2_client=$!
subscribe_body h1 >"$TEST_DIR/h1.json"
# Sends the request, says so, then never reads.
"$PYTHON" - "$ENDPOINT" "$TEST_DIR/h1.json" >"$TEST_DIR/h1.out" <<'PY' &
import socket, sys, time
host, port = sys.argv[1].removeprefix("http://").rsplit(":", 1)
body = open(sys.argv[2], "rb").read()
sock = socket.create_connection((host, int(port)))
sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n"
             b"X-Amz-Target: Kinesis_20131202.SubscribeToShard\r\nX-Amz-Date: 20261203T000000Z\r\n"
             b"Authorization: AWS4-HMAC-SHA256 Credential=a/20261203/us-east-1/kinesis/aws4_request, "
             b"SignedHeaders=host, Signature=00\r\n" + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
print("sent", flush=True)
time.sleep(600)
PY
h1_client=$!
# Both subscribed: the HTTP/2 client has its answer's headers (nghttp is then stopped), the other has sent.
wait_for_lines "$TEST_DIR/h1.out" 1
sleep 1
kill -STOP "$h2_client"

rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$SERVER_PID/status"; }
before=$(rss_kib)
# 60 MB of records, written to the served store by kds-put beside the server.
"$PYTHON" -c '
import sys
out = sys.stdout
for i in range(300000):
    out.write(f"k{i % 100},{i:08d}" + "x" * 190 + "\n")' | kds-put --store "$TEST_DIR/served" s -K , --sync none ||
  fail "kds-put beside the server"
# The subscriptions read what they can; then the server holds what its clients do not take.
sleep 2
after=$(rss_kib)
# (Under AddressSanitizer freed memory is held in quarantine: the size says nothing there.)
if [[ -z ${ASAN_OPTIONS:-} ]]; then
  ((after - before < 64 * 1024)) || fail "the server grew from $before KiB to $after KiB with two stalled subscribers"
fi
assert_eq "$(kds-get --endpoint "$ENDPOINT" s --limit 3 | wc -l)" "3" "another client is answered"
newest=$(kds-get --store "$TEST_DIR/served" s -f '%o\n' | tail -1)
assert_eq "$(kds-get --endpoint "$ENDPOINT" s "$newest" | cut -c1-8)" "00299999" "another client reads the newest record"

# SIGTERM: the stalled streams are ended, and their connections closed after a short grace.
kill -TERM "$SERVER_PID"
wait_gone "$SERVER_PID" 30 "kds-serve (SIGTERM), held by clients that do not read," || true
status=0
wait "$SERVER_PID" || status=$?
SERVER_PID=""
assert_eq "$status" "0" "kds-serve's exit status after SIGTERM"
{
  kill -9 "$h2_client" "$h1_client"
  wait "$h2_client" "$h1_client"
} 2>/dev/null || true
pass
