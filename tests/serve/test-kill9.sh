#!/usr/bin/env bash
# kill -9 of kds-serve under PutRecords load, with --sync batch and with --sync interval: every record it
# answered 200 for is in the store afterwards with its exact bytes, as a restarted server reads it.
source "$(dirname "$0")/lib.sh"
for mode in batch interval:20; do
rm -f "$TEST_DIR/acked"
start_server --sync "$mode"
kds-create-stream load --shard-count 4
"$PYTHON" - "$ENDPOINT" "$TEST_DIR/acked" <<'PY' &
import base64, json, os, sys
import boto3, botocore.config
kinesis = boto3.client("kinesis", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="x",
                       aws_secret_access_key="x", config=botocore.config.Config(retries={"max_attempts": 0}))
out = open(sys.argv[2], "w")
n = 0
try:
    while True:
        entries = [{"Data": os.urandom(20) + b"%d" % (n + i), "PartitionKey": "k%d" % ((n + i) % 13)} for i in range(100)]
        answer = kinesis.put_records(StreamName="load", Records=entries)
        for entry, result in zip(entries, answer["Records"]):
            if "SequenceNumber" in result:
                out.write("%s %s\n" % (result["SequenceNumber"], base64.b64encode(entry["Data"]).decode()))
        out.flush()
        n += 100
except Exception:
    pass
PY
client=$!
wait_for_lines "$TEST_DIR/acked" 1000
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
wait "$client" || true
acked=$(wc -l <"$TEST_DIR/acked")
[[ $acked -ge 1000 ]] || fail "--sync $mode: only $acked records acknowledged"

start_server
"$PYTHON" - "$ENDPOINT" "$TEST_DIR/acked" <<'PY' || fail "an acknowledged record is missing or altered"
import base64, sys
import boto3
kinesis = boto3.client("kinesis", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="x",
                       aws_secret_access_key="x")
stored = {}
for shard in kinesis.list_shards(StreamName="load")["Shards"]:
    iterator = kinesis.get_shard_iterator(StreamName="load", ShardId=shard["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    while True:
        page = kinesis.get_records(ShardIterator=iterator)
        for record in page["Records"]:
            stored[record["SequenceNumber"]] = record["Data"]
        if not page["Records"]:
            break
        iterator = page["NextShardIterator"]
for line in open(sys.argv[2]):
    number, data = line.split()
    assert stored.get(number) == base64.b64decode(data), number
PY
expect_status 0 kds-fsck load
stop_server || fail "kds-serve exits 0 on SIGTERM"
kds-delete-stream load
done
pass
