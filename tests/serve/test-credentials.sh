#!/usr/bin/env bash
# kds-serve --credentials: SigV4 signatures verified for the AWS CLI (HTTP/1.1), boto3 and the JS SDK
# (HTTP/2, which signs :authority); unknown keys, wrong secrets, session tokens, another region refused with
# AWS's errors; a bad credentials file refused before the store is touched.
source "$(dirname "$0")/lib.sh"
JS_DIR="$(cd "$(dirname "$0")/js" && pwd)"
creds="$TEST_DIR/credentials"
cat >"$creds" <<'CREDS'
[default]
aws_access_key_id = AKIDKDSTEST
aws_secret_access_key = kds/secret+key

[temporary]
aws_access_key_id = ASIAKDSTEMP
aws_secret_access_key = temp-secret
aws_session_token = session-token-1
CREDS

printf '[p]\naws_access_key_id = A\n' >"$TEST_DIR/half"
expect_error 2 "^kds-serve: [A-Za-z]+: $TEST_DIR/half:1: profile \[p\] has aws_access_key_id but no aws_secret_access_key$" \
  kds-serve --listen 127.0.0.1:0 --credentials "$TEST_DIR/half"
expect_error 2 "^kds-serve: [A-Za-z]+: cannot read credentials file $TEST_DIR/absent: No such file or directory$" \
  kds-serve --listen 127.0.0.1:0 --credentials "$TEST_DIR/absent"
[[ ! -e $KDS_STORE ]] || fail "a refused start created the store"

start_server --credentials "$creds"
as() {  # as KEY SECRET [TOKEN] -- aws_kinesis ARGS...
  local key=$1 secret=$2 token=$3
  shift 3
  AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token "$@"
}
as AKIDKDSTEST kds/secret+key "" aws_kinesis create-stream --stream-name signed --shard-count 1 ||
  fail "create-stream with a known key"
as AKIDKDSTEST kds/secret+key "" aws_kinesis put-record --stream-name signed --partition-key k --data aGk= \
  >/dev/null || fail "put-record with a known key"
as ASIAKDSTEMP temp-secret session-token-1 aws_kinesis list-streams >/dev/null ||
  fail "a profile's session token is accepted with its key"

expect_status 254 as AKIDKDSTEST wrong-secret "" aws_kinesis list-streams
grep -q "(InvalidSignatureException) .*: The request signature we calculated does not match" "$TEST_DIR/err" ||
  fail "a wrong secret: $(cat "$TEST_DIR/err")"
expect_status 254 as AKIDUNKNOWN kds/secret+key "" aws_kinesis list-streams
grep -q "(UnrecognizedClientException) .*: The security token included in the request is invalid." \
  "$TEST_DIR/err" || fail "an unknown key: $(cat "$TEST_DIR/err")"
expect_status 254 as ASIAKDSTEMP temp-secret other-token aws_kinesis list-streams
grep -q "UnrecognizedClientException" "$TEST_DIR/err" || fail "a wrong session token: $(cat "$TEST_DIR/err")"
expect_status 254 env AWS_DEFAULT_REGION=eu-west-1 AWS_REGION=eu-west-1 \
  AWS_ACCESS_KEY_ID=AKIDKDSTEST AWS_SECRET_ACCESS_KEY=kds/secret+key "$AWS_CLI" --endpoint-url "$ENDPOINT" \
  kinesis list-streams
grep -q "Credential should be scoped to a valid region" "$TEST_DIR/err" ||
  fail "another region: $(cat "$TEST_DIR/err")"

# boto3 with the profile from the credentials file itself, as an application configured for it would.
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_SHARED_CREDENTIALS_FILE="$creds" AWS_PROFILE=temporary \
  "$PYTHON" - "$ENDPOINT" <<'PY' || fail "boto3"
import sys, boto3
from botocore.exceptions import ClientError
kinesis = boto3.Session().client("kinesis", endpoint_url=sys.argv[1], region_name="us-east-1")
kinesis.put_records(StreamName="signed", Records=[{"PartitionKey": "b", "Data": b"boto3"}])
bad = boto3.client("kinesis", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="ASIAKDSTEMP",
                   aws_secret_access_key="nope", aws_session_token="session-token-1")
try:
    bad.list_streams()
    sys.exit("a bad secret was accepted")
except ClientError as error:
    assert error.response["Error"]["Code"] == "InvalidSignatureException", error.response
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403, error.response
PY

# The JS SDK over HTTP/2.
node "$JS_DIR/signed_client.mjs" "$ENDPOINT" || fail "JS SDK with --credentials"

assert_eq "$(kds-get signed | sort | tr '\n' ' ')" "boto3 hi js " "exactly the signed records were stored"
stop_server || fail "kds-serve exits 0 on SIGTERM"

# Reachable from other machines: a warning without --credentials, none with.
start_server --listen 0.0.0.0:0
grep -q "without --credentials kds-serve does not verify signatures" "$TEST_DIR/server.err" ||
  fail "no warning for 0.0.0.0 without --credentials: $(cat "$TEST_DIR/server.err")"
stop_server || fail "exit 0"
start_server --listen 0.0.0.0:0 --credentials "$creds"
[[ ! -s $TEST_DIR/server.err ]] || fail "a warning with --credentials: $(cat "$TEST_DIR/server.err")"
stop_server || fail "exit 0"
pass
