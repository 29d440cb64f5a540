#!/usr/bin/env bash
# --region and --account-id (and $AWS_REGION) name the server's account and region in ARNs and messages;
# values that cannot be an account id or a region are usage errors.
source "$(dirname "$0")/lib.sh"
expect_error 2 "kds-serve: --account-id: '12' is not twelve digits" kds-serve --listen 127.0.0.1:0 --account-id 12
expect_error 2 "kds-serve: --region: 'EU West' is not a region name" kds-serve --listen 127.0.0.1:0 --region 'EU West'
expect_error 2 "kds-serve: --region: 'Mars' is not a region name" env AWS_REGION=Mars kds-serve --listen 127.0.0.1:0

AWS_REGION=eu-west-1 start_server --account-id 123456789012
export AWS_DEFAULT_REGION=eu-west-1 AWS_REGION=eu-west-1
aws_kinesis create-stream --stream-name named --shard-count 1 >/dev/null || fail "create-stream"
assert_eq "$(aws_kinesis describe-stream-summary --stream-name named --query StreamDescriptionSummary.StreamARN \
  --output text)" "arn:aws:kinesis:eu-west-1:123456789012:stream/named" "the ARN names --account-id and \$AWS_REGION"
# A call by ARN, as SDKs make it.
aws_kinesis put-record --stream-arn arn:aws:kinesis:eu-west-1:123456789012:stream/named --partition-key k \
  --data aGk= >/dev/null || fail "put-record by ARN"
"$AWS_CLI" --endpoint-url "$ENDPOINT" kinesis describe-stream-summary --stream-name nope 2>"$TEST_DIR/err" &&
  fail "describe of a missing stream succeeded"
grep -q "Stream nope under account 123456789012 not found." "$TEST_DIR/err" || fail "message: $(cat "$TEST_DIR/err")"
stop_server || fail "kds-serve exits 0 on SIGTERM"

start_server --region ap-south-2
assert_eq "$(aws_kinesis list-streams --query 'StreamSummaries[0].StreamARN' --output text)" \
  "arn:aws:kinesis:ap-south-2:000000000000:stream/named" "--region over \$AWS_REGION; the default account"
stop_server || fail "kds-serve exits 0 on SIGTERM"
pass
