#!/usr/bin/env bash
# kds-serve --shard-limit: the account's shard quota as CreateStream, SplitShard and UpdateShardCount meet
# it (AWS's LimitExceededException text) and DescribeLimits reports it; the tools themselves have none.
source "$(dirname "$0")/lib.sh"
export AWS_MAX_ATTEMPTS=1  # LimitExceededException is retryable for botocore: one answer is enough here

expect_error 2 "^kds-serve: --shard-limit: " kds-serve --listen 127.0.0.1:0 --shard-limit 0
start_server --shard-limit 6
aws_kinesis create-stream --stream-name a --shard-count 4 || fail "4 of 6"
limit_text() {
  echo "An error occurred (LimitExceededException) when calling the $1 operation (reached max retries: 0): This request would exceed the shard limit for the account 000000000000 in us-east-1. Current shard count for the account: $2. Limit: 6. Number of additional shards that would have resulted from this request: $3. Refer to the AWS Service Limits page (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to request higher limits."
}
expect_status 254 aws_kinesis create-stream --stream-name b --shard-count 3
assert_eq "$(grep . "$TEST_DIR/err")" "$(limit_text CreateStream 4 3)" "CreateStream past the quota"
assert_eq "$(aws_kinesis list-streams --query StreamNames --output text)" "a" "the refused stream was not made"
aws_kinesis create-stream --stream-name b --shard-count 1 || fail "5 of 6"
aws_kinesis split-shard --stream-name a --shard-to-split shardId-000000000000 \
  --new-starting-hash-key 42535295865117307932921825928971026432 || fail "6 of 6 by a split"
expect_status 254 aws_kinesis split-shard --stream-name a --shard-to-split shardId-000000000001 \
  --new-starting-hash-key 127605887595351923798765477786913079296
assert_eq "$(grep . "$TEST_DIR/err")" "$(limit_text SplitShard 6 1)" "SplitShard past the quota"
expect_status 254 aws_kinesis update-shard-count --stream-name b --target-shard-count 2 --scaling-type UNIFORM_SCALING
assert_eq "$(grep . "$TEST_DIR/err")" "$(limit_text UpdateShardCount 6 1)" "UpdateShardCount past the quota"
aws_kinesis merge-shards --stream-name a --shard-to-merge shardId-000000000004 \
  --adjacent-shard-to-merge shardId-000000000005 || fail "a merge frees a shard"
assert_eq "$(aws_kinesis describe-limits | tr -d ' \n')" \
  '{"ShardLimit":6,"OpenShardCount":5,"OnDemandStreamCount":0,"OnDemandStreamCountLimit":50}' "DescribeLimits"
aws_kinesis update-shard-count --stream-name b --target-shard-count 2 --scaling-type UNIFORM_SCALING >/dev/null ||
  fail "UpdateShardCount within the quota"
stop_server || fail "kds-serve exits 0 on SIGTERM"

# The quota is the server's: the tools go past it.
kds-create-stream c --shard-count 3 || fail "kds-create-stream has no quota"
pass
