#!/usr/bin/env bash
# kds-get: iterator types, limits, output formats, lookups by sequence number, quiet SIGPIPE.
source "$(dirname "$0")/lib.sh"

kds-create-stream g --shard-count 2
seq 1 10 | kds-put g -k a            # shard 0
seq 11 15 | kds-put g -k b           # shard 1 (b hashes to the upper half)
assert_eq "$(kds-get g | tr '\n' ' ')" "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 " "whole stream, shard by shard"
assert_eq "$(kds-get g --limit 3 | tr '\n' ' ')" "1 2 3 " "--limit"
assert_eq "$(kds-get g --shard-id shardId-000000000001 | tr '\n' ' ')" "11 12 13 14 15 " "--shard-id canonical"
assert_eq "$(kds-get g --shard-id 1 --limit 2 | tr '\n' ' ')" "11 12 " "--shard-id lenient"
assert_eq "$(kds-get g --iterator-type LATEST)" "" "LATEST prints nothing"
assert_eq "$(kds-get g --sequence-number 3 | tr '\n' ' ')" "4 5 6 7 8 9 10 " "AT_SEQUENCE_NUMBER implied"
assert_eq "$(kds-get g --iterator-type AFTER_SEQUENCE_NUMBER --sequence-number 3 | tr '\n' ' ')" "5 6 7 8 9 10 " \
  "AFTER_SEQUENCE_NUMBER"
second=$(kds-get g --shard-id 1 -f '%o\n' | sed -n 2p)
assert_eq "$(kds-get g --iterator-type AT_SEQUENCE_NUMBER --starting-sequence-number "$second" | tr '\n' ' ')" \
  "12 13 14 15 " "AT_SEQUENCE_NUMBER in shard 1"
assert_eq "$(kds-get g 0 "$second" 9 | tr '\n' ' ')" "1 12 10 " "lookup by sequence numbers keeps operand order"

# AT_TIMESTAMP: records put after a moment are found from it.
sleep 1.1
mark=$(date +%s.%N | cut -c1-14)
sleep 0.1
seq 100 102 | kds-put g -k a
assert_eq "$(kds-get g --timestamp "$mark" | tr '\n' ' ')" "100 101 102 " "AT_TIMESTAMP epoch seconds"
iso=$(date -u -d "@$mark" +%Y-%m-%dT%H:%M:%S.%3NZ)
assert_eq "$(kds-get g --iterator-type AT_TIMESTAMP --timestamp "$iso" | tr '\n' ' ')" "100 101 102 " "AT_TIMESTAMP ISO-8601"
assert_eq "$(kds-get g --timestamp 0 | wc -l)" "18" "AT_TIMESTAMP before everything"

# Formats.
assert_eq "$(kds-get g --limit 2 -D ',')" "1,2," "-D"
assert_eq "$(kds-get g --limit 2 -0 | od -An -c | tr -s ' ')" " 1 \\0 2 \\0" "-0"
assert_eq "$(kds-get g --shard-id 1 --limit 1 -f '%t|%p|%o|%k|%K|%s|%S|%%|\t|\x41\n')" \
  "g|shardId-000000000001|18446744073709551616|b|1|11|2|%|	|A" "-f tokens and escapes"
kds-get g --limit 1 --output json | python3 -c '
import json, sys, time
r = json.loads(sys.stdin.readline())
assert list(r) == ["SequenceNumber", "ApproximateArrivalTimestamp", "Data", "PartitionKey", "EncryptionType", "ShardId"], list(r)
assert r["EncryptionType"] == "NONE"
assert r["SequenceNumber"] == "0" and r["Data"] == "MQ==" and r["PartitionKey"] == "a", r
assert r["ShardId"] == "shardId-000000000000"
assert abs(r["ApproximateArrivalTimestamp"] - time.time()) < 600
' || fail "--output json record"

# A reader that goes away early: no message, status 141 (SIGPIPE) or 0, as with cat.
seq 1 200000 | kds-put g -k a
set +o pipefail
kds-get g 2>"$TEST_DIR/pipe.err" | head -1 >/dev/null
status=${PIPESTATUS[0]}
set -o pipefail
[[ $status == 141 || $status == 0 ]] || fail "kds-get | head exited $status"
assert_eq "$(cat "$TEST_DIR/pipe.err")" "" "kds-get | head -1 prints nothing on stderr"
(trap '' PIPE; kds-get g 2>"$TEST_DIR/pipe2.err" | head -1 >/dev/null) || true
assert_eq "$(cat "$TEST_DIR/pipe2.err")" "" "quiet even when SIGPIPE is ignored"

# --help and --version.
for tool in kds-create-stream kds-put kds-get kds-describe-stream kds-list-streams kds-delete-stream; do
  expect_status 0 $tool --help && grep -q "See $tool(1)" "$TEST_DIR/out" || fail "$tool --help"
  expect_status 0 $tool --version && assert_eq "$(cat "$TEST_DIR/out")" "$tool (kds) 0.1.0" "$tool --version"
done
pass
