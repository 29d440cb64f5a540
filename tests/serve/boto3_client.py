"""boto3 (Debian's python3-boto3) against kds-serve: every operation the server performs, paginators,
waiters and error codes, as an SDK program would use them. Run by test-boto3.sh with the endpoint."""
import base64
import sys

from boto3_checks import check, client, error_code, finish

kinesis = client(sys.argv[1], retries={"mode": "standard"})


kinesis.create_stream(StreamName="orders", ShardCount=3)
kinesis.get_waiter("stream_exists").wait(StreamName="orders", WaiterConfig={"Delay": 0.1, "MaxAttempts": 20})
summary = kinesis.describe_stream_summary(StreamName="orders")["StreamDescriptionSummary"]
check(summary["OpenShardCount"] == 3 and summary["StreamStatus"] == "ACTIVE", f"summary {summary}")
arn = summary["StreamARN"]
check(arn == "arn:aws:kinesis:us-east-1:000000000000:stream/orders", arn)

# PutRecord and PutRecords, by name and by ARN; every record read back with its exact bytes.
sent = {}
for i in range(20):
    data = bytes([0, 255, 11 + i]) + f"record {i}".encode()
    answer = kinesis.put_record(StreamName="orders", Data=data, PartitionKey=f"key-{i % 7}")
    sent[answer["SequenceNumber"]] = data
entries = [{"Data": f"batch {i}".encode(), "PartitionKey": f"key-{i}"} for i in range(500)]
# Debian 12's botocore (1.29) predates StreamARN in the model; newer ones send it.
by_arn = "StreamARN" in kinesis.meta.service_model.operation_model("PutRecords").input_shape.members
answer = kinesis.put_records(**({"StreamARN": arn} if by_arn else {"StreamName": "orders"}), Records=entries)
check(answer["FailedRecordCount"] == 0 and len(answer["Records"]) == 500, "put_records answer")
for entry, result in zip(entries, answer["Records"]):
    sent[result["SequenceNumber"]] = entry["Data"]

got = {}
# ListShards pages by NextToken alone (AWS refuses StreamName with it, so botocore's paginator cannot).
page = kinesis.list_shards(StreamName="orders", MaxResults=1)
shards = page["Shards"]
while "NextToken" in page:
    page = kinesis.list_shards(NextToken=page["NextToken"], MaxResults=1)
    shards += page["Shards"]
check(len(shards) == 3, f"list_shards pages {len(shards)}")
code, message = error_code(kinesis.list_shards, StreamName="orders", NextToken=page.get("NextToken", "x"))
check(code == "InvalidArgumentException", f"NextToken with StreamName: {code}")
for shard in shards:
    iterator = kinesis.get_shard_iterator(StreamName="orders", ShardId=shard["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    while iterator:
        page = kinesis.get_records(ShardIterator=iterator, Limit=100)
        for record in page["Records"]:
            got[record["SequenceNumber"]] = record["Data"]
        if not page["Records"]:
            break
        iterator = page["NextShardIterator"]
check(got == sent, f"read back {len(got)} of {len(sent)} records, bytes equal: {got == sent}")

# AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER
first = next(iter(sent))
shard_id = "shardId-%012d" % 0
for shard in shards:
    iterator = kinesis.get_shard_iterator(StreamName="orders", ShardId=shard["ShardId"],
                                          ShardIteratorType="LATEST")["ShardIterator"]
    check(kinesis.get_records(ShardIterator=iterator)["Records"] == [], "LATEST is empty")

# Errors, with Kinesis's codes and texts.
code, message = error_code(kinesis.describe_stream, StreamName="missing")
check(code == "ResourceNotFoundException", f"describe missing: {code}")
check(message == "Stream missing under account 000000000000 not found.", message)
code, message = error_code(kinesis.create_stream, StreamName="orders", ShardCount=1)
check(code == "ResourceInUseException", f"create twice: {code}")
code, message = error_code(kinesis.get_records, ShardIterator="bogus")
check(code == "InvalidArgumentException" and message == "Invalid ShardIterator.", f"{code} {message}")
code, message = error_code(kinesis.get_shard_iterator, StreamName="orders", ShardId="shardId-000000000000",
                           ShardIteratorType="AT_SEQUENCE_NUMBER")
check(code == "InvalidArgumentException", f"AT_SEQUENCE_NUMBER without a number: {code}")
code, message = error_code(kinesis.split_shard, StreamName="orders", ShardToSplit="shardId-000000000009",
                           NewStartingHashKey="1")
check(code == "ResourceNotFoundException", f"split of a missing shard: {code}")

# Streams: paginated listing, retention, encryption refused without keys, resharding.
for name in ("a1", "a2", "a3"):
    kinesis.create_stream(StreamName=name, ShardCount=1)
names = []
for page in kinesis.get_paginator("list_streams").paginate(PaginationConfig={"PageSize": 2}):
    names += page["StreamNames"]
check(names == ["a1", "a2", "a3", "orders"], f"list_streams pages {names}")
kinesis.increase_stream_retention_period(StreamName="a1", RetentionPeriodHours=72)
kinesis.decrease_stream_retention_period(StreamName="a1", RetentionPeriodHours=48)
check(kinesis.describe_stream(StreamName="a1")["StreamDescription"]["RetentionPeriodHours"] == 48, "retention")
code, _ = error_code(kinesis.start_stream_encryption, StreamName="a1", EncryptionType="KMS", KeyId="alias/x")
check(code is not None, "start_stream_encryption without a key is refused")
kinesis.stop_stream_encryption(StreamName="a1", EncryptionType="KMS", KeyId="alias/x")
kinesis.split_shard(StreamName="a1", ShardToSplit="shardId-000000000000",
                    NewStartingHashKey=str(2 ** 127))
kinesis.merge_shards(StreamName="a1", ShardToMerge="shardId-000000000001", AdjacentShardToMerge="shardId-000000000002")
scaled = kinesis.update_shard_count(StreamName="a2", TargetShardCount=2, ScalingType="UNIFORM_SCALING")
check(scaled["TargetShardCount"] == 2 and scaled["CurrentShardCount"] == 1, f"update_shard_count {scaled}")
described = []
for page in kinesis.get_paginator("describe_stream").paginate(StreamName="a1", PaginationConfig={"PageSize": 1}):
    described += page["StreamDescription"]["Shards"]
check([s["ShardId"] for s in described] == ["shardId-%012d" % i for i in range(4)], f"describe pages {described}")
for name in ("a1", "a2", "a3"):
    kinesis.delete_stream(StreamName=name)
kinesis.get_waiter("stream_not_exists").wait(StreamName="a1", WaiterConfig={"Delay": 0.1, "MaxAttempts": 20})

finish()
