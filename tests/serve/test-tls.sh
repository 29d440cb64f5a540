#!/usr/bin/env bash
# kds-serve --tls-cert/--tls-key: TLS on the listeners, ALPN h2 (the JS SDK, h2load) and http/1.1 (the AWS
# CLI), clients trusting a self-signed certificate; bad certificate options refused.
source "$(dirname "$0")/lib.sh"
JS_DIR="$(cd "$(dirname "$0")/js" && pwd)"
cert="$TEST_DIR/cert.pem" key="$TEST_DIR/key.pem"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout "$key" -out "$cert" 2>/dev/null
openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:prime256v1 -out "$TEST_DIR/other.pem" 2>/dev/null

expect_error 2 "^kds-serve: --tls-cert and --tls-key go together" kds-serve --listen 127.0.0.1:0 --tls-cert "$cert"
expect_error 2 "^kds-serve: [A-Za-z]+: cannot read $TEST_DIR/absent.pem: No such file or directory$" \
  kds-serve --listen 127.0.0.1:0 --tls-cert "$TEST_DIR/absent.pem" --tls-key "$key"
expect_error 2 "^kds-serve: [A-Za-z]+: cannot use $key as a PEM certificate chain: no start line$" \
  kds-serve --listen 127.0.0.1:0 --tls-cert "$key" --tls-key "$key"
expect_error 2 "^kds-serve: [A-Za-z]+: cannot use $TEST_DIR/other.pem as the PEM private key of $cert: key values mismatch$" \
  kds-serve --listen 127.0.0.1:0 --tls-cert "$cert" --tls-key "$TEST_DIR/other.pem"
[[ ! -e $KDS_STORE ]] || fail "a refused start created the store"

start_server --tls-cert "$cert" --tls-key "$key"
[[ $ENDPOINT == https://127.0.0.1:* ]] || fail "the listening line names https: $ENDPOINT"

# Plain HTTP to a TLS port: the handshake fails, that connection is closed, the server goes on.
exec 3<>"/dev/tcp/127.0.0.1/${ENDPOINT##*:}"
# (The server may close before the write is done: SIGPIPE is ignored for it.)
(trap '' PIPE; printf 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}' >&3) 2>/dev/null || true
timeout 10 cat <&3 >/dev/null || fail "a plain HTTP request to the TLS port is not closed"
exec 3<&-

# The AWS CLI (HTTP/1.1 over TLS), trusting the certificate through AWS_CA_BUNDLE.
AWS_CA_BUNDLE="$cert" aws_kinesis create-stream --stream-name cli --shard-count 1 || fail "create-stream over TLS"
AWS_CA_BUNDLE="$cert" aws_kinesis put-record --stream-name cli --partition-key k --data aGVsbG8= >/dev/null ||
  fail "put-record over TLS"
assert_eq "$(kds-get cli)" "hello" "the record the AWS CLI put over TLS"
expect_status 255 "$AWS_CLI" --endpoint-url "$ENDPOINT" kinesis list-streams ||
  true # without the bundle the CLI refuses the self-signed certificate
grep -q "SSL" "$TEST_DIR/err" || fail "the AWS CLI refuses an untrusted certificate: $(cat "$TEST_DIR/err")"

# The JS SDK (HTTP/2 by ALPN), the same client as over plain HTTP/2.
NODE_EXTRA_CA_CERTS="$cert" node "$JS_DIR/sdk_client.mjs" "$ENDPOINT" || fail "JS SDK over TLS"

# h2load: ALPN h2, 200 requests on 2 connections.
printf '{"StreamName":"cli","PartitionKey":"load","Data":"aGVsbG8="}' >"$TEST_DIR/body.json"
h2load -n 200 -c 2 -m 10 -d "$TEST_DIR/body.json" -H 'X-Amz-Target: Kinesis_20131202.PutRecord' \
  -H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Date: 20261206T000000Z' \
  -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=00' \
  "$ENDPOINT/" >"$TEST_DIR/h2load.out" 2>&1 || fail "h2load over TLS: $(cat "$TEST_DIR/h2load.out")"
grep -q 'Application protocol: h2$' "$TEST_DIR/h2load.out" || fail "h2load did not negotiate h2"
grep -q 'status codes: 200 2xx' "$TEST_DIR/h2load.out" || fail "h2load: $(grep 'status codes' "$TEST_DIR/h2load.out")"
assert_eq "$(kds-get cli | grep -c hello)" 201 "the records h2load put over TLS"

stop_server || fail "kds-serve exits 0 on SIGTERM"
pass
