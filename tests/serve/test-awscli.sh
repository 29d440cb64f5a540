#!/usr/bin/env bash
# The AWS CLI (Debian's awscli) against kds-serve: the main operations, a waiter, errors with Kinesis's
# codes, and one store shared with the kds tools (same records, same sequence numbers).
source "$(dirname "$0")/lib.sh"
start_server

aws_kinesis create-stream --stream-name clicks --shard-count 2 || fail "create-stream"
aws_kinesis wait stream-exists --stream-name clicks || fail "waiter stream-exists"
aws_kinesis list-streams >"$TEST_DIR/list.json" || fail "list-streams"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["StreamNames"]==["clicks"], d' \
  "$TEST_DIR/list.json" || fail "list-streams names the stream"
assert_eq "$(kds-list-streams)" "clicks" "the tools see a stream created over HTTP"

aws_kinesis put-record --stream-name clicks --partition-key user1 --data "$(printf 'hello world' | base64)" \
  --cli-binary-format base64 >"$TEST_DIR/put.json" || fail "put-record"
seq=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["SequenceNumber"])' "$TEST_DIR/put.json")
expect_status 0 kds-get clicks "$seq"
assert_eq "$(cat "$TEST_DIR/out")" "hello world" "kds-get reads what the AWS CLI put, by its sequence number"

printf 'from the shell\n' | kds-put clicks -k user1
aws_kinesis put-records --stream-name clicks --cli-binary-format base64 --records \
  "Data=$(printf a | base64),PartitionKey=k1" "Data=$(printf b | base64),PartitionKey=k2" >"$TEST_DIR/puts.json" ||
  fail "put-records"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["FailedRecordCount"]==0 and len(d["Records"])==2, d' \
  "$TEST_DIR/puts.json" || fail "put-records answer"

shard=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ShardId"])' "$TEST_DIR/put.json")
iterator=$(aws_kinesis get-shard-iterator --stream-name clicks --shard-id "$shard" \
  --shard-iterator-type TRIM_HORIZON --query ShardIterator) || fail "get-shard-iterator"
# The iterator is passed on with the quotes --query prints, as scripts do; Kinesis accepts that.
aws_kinesis get-records --shard-iterator "$iterator" >"$TEST_DIR/records.json" || fail "get-records"
python3 - "$TEST_DIR/records.json" <<'PY' || fail "get-records returns the records of both doors, in order"
import base64, json, sys
d = json.load(open(sys.argv[1]))
data = [base64.b64decode(r["Data"]) for r in d["Records"] if r["PartitionKey"] == "user1"]
assert data == [b"hello world", b"from the shell"], data
assert d["NextShardIterator"] and d["MillisBehindLatest"] == 0, d
PY

expect_status 254 aws_kinesis describe-stream --stream-name nothing
grep -q "ResourceNotFoundException" "$TEST_DIR/err" || fail "describe-stream of a missing stream: $(cat "$TEST_DIR/err")"
grep -q "Stream nothing under account 000000000000 not found." "$TEST_DIR/err" || fail "Kinesis's text"
expect_status 254 aws_kinesis create-stream --stream-name 'bad name!' --shard-count 1
grep -q "ValidationException.*1 validation error detected: Value 'bad name!' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: \[a-zA-Z0-9_.-\]+" \
  "$TEST_DIR/err" || fail "validation text: $(cat "$TEST_DIR/err")"
expect_status 254 aws_kinesis create-stream --stream-name clicks --shard-count 1
grep -q "ResourceInUseException" "$TEST_DIR/err" || fail "create-stream of an existing stream"

aws_kinesis split-shard --stream-name clicks --shard-to-split shardId-000000000000 \
  --new-starting-hash-key 85070591730234615865843651857942052864 || fail "split-shard"
assert_eq "$(kds-describe-stream clicks --output json | python3 -c '
import json,sys; print(len(json.load(sys.stdin)["StreamDescription"]["Shards"]))')" "4" "the tools see the split at once"
aws_kinesis merge-shards --stream-name clicks --shard-to-merge shardId-000000000002 \
  --adjacent-shard-to-merge shardId-000000000003 || fail "merge-shards"
aws_kinesis update-shard-count --stream-name clicks --target-shard-count 4 --scaling-type UNIFORM_SCALING \
  >"$TEST_DIR/scale.json" || fail "update-shard-count"
aws_kinesis list-shards --stream-name clicks --shard-filter Type=AT_LATEST >"$TEST_DIR/shards.json" || fail "list-shards"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["Shards"])==4, d' "$TEST_DIR/shards.json" ||
  fail "four open shards after update-shard-count"
aws_kinesis increase-stream-retention-period --stream-name clicks --retention-period-hours 48 || fail "retention"
aws_kinesis describe-stream-summary --stream-name clicks \
  --query StreamDescriptionSummary.RetentionPeriodHours >"$TEST_DIR/hours" || fail "describe-stream-summary"
assert_eq "$(cat "$TEST_DIR/hours")" "48" "retention period"
aws_kinesis delete-stream --stream-name clicks || fail "delete-stream"
aws_kinesis wait stream-not-exists --stream-name clicks || fail "waiter stream-not-exists"
assert_eq "$(kds-list-streams)" "" "deleted for the tools too"

stop_server || fail "kds-serve exits 0 on SIGTERM"
pass
