"""boto3 reading through enhanced fan-out (SubscribeToShard over HTTP/1.1, as botocore sends it). Run by
test-subscribe.sh with the endpoint, the consumer's ARN, a command that puts a record, and what to check:
  lifetime   (a server started with --subscription-lifetime 3) the records in order with a continuation to resume
             from, records put during a subscription, one subscription per consumer and shard, the end of a
             closed shard;
  takeover   (a longer lifetime) a subscription more than 5 s old is taken over, and ends with
             ResourceInUseException;
  hold       prints "subscribed" once a subscription has begun and "ended" when the server ends it early;
  big        (the consumer of a stream of 30 records of 100,000 bytes) all of them, in several events and
             many chunks."""
import subprocess
import sys
import threading
import time

from botocore.exceptions import ClientError

from boto3_checks import check, client, error_code, finish

endpoint, consumer, put_command, mode = sys.argv[1:5]
kinesis = client(endpoint, retries={"max_attempts": 0}, read_timeout=30)
SHARD = "shardId-000000000000"


def subscribe(start, shard=SHARD):
    """Every event of one subscription, until the server ends it."""
    response = kinesis.subscribe_to_shard(ConsumerARN=consumer, ShardId=shard, StartingPosition=start)
    return [event["SubscribeToShardEvent"] for event in response["EventStream"]]


def records_of(events):
    return [record for event in events for record in event["Records"]]


def lifetime():
    # Three records were put before: they come first, in order; the stream ends with its lifetime.
    events = subscribe({"Type": "TRIM_HORIZON"})
    records = records_of(events)
    check([r["Data"] for r in records] == [b"one", b"two", b"three"], f"records {records}")
    check(all(e["ChildShards"] == [] and "ContinuationSequenceNumber" in e for e in events),
          f"every event has a continuation and empty ChildShards {events}")
    continuation = events[-1]["ContinuationSequenceNumber"]
    check(continuation == records[-1]["SequenceNumber"], f"continuation {continuation} after {records}")

    # Subscribed after the continuation, records put meanwhile arrive, and nothing twice. A second subscription of
    # the same consumer and shard while this one is young is refused.
    result = {}
    reader = threading.Thread(target=lambda: result.update(events=subscribe(
        {"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": continuation})))
    reader.start()
    time.sleep(0.5)
    code, message = error_code(kinesis.subscribe_to_shard, ConsumerARN=consumer, ShardId=SHARD,
                               StartingPosition={"Type": "LATEST"})
    check(code == "ResourceInUseException", f"a second subscription at once: {code} {message}")
    subprocess.run([put_command, "four"], check=True)
    subprocess.run([put_command, "five"], check=True)
    reader.join()
    more = records_of(result.get("events", []))
    check([r["Data"] for r in more] == [b"four", b"five"], f"records put during the subscription {more}")
    continuation = result["events"][-1]["ContinuationSequenceNumber"]

    # The shard is split: reading it to its end names the children, and the stream ends.
    subprocess.run(["kds-split-shard", "feed", SHARD], check=True, stdout=subprocess.DEVNULL)
    events = subscribe({"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": continuation})
    check(records_of(events) == [], f"nothing after the last record {events}")
    last = events[-1] if events else {}
    check("ContinuationSequenceNumber" not in last, f"no continuation at the end {last}")
    check([c["ShardId"] for c in last.get("ChildShards", [])] == ["shardId-000000000001", "shardId-000000000002"],
          f"children {last}")
    check(all(c["ParentShards"] == [SHARD] for c in last.get("ChildShards", [])), f"parents {last}")

    # Errors before the stream starts are ordinary answers.
    check(error_code(kinesis.subscribe_to_shard, ConsumerARN=consumer + "9", ShardId=SHARD,
                     StartingPosition={"Type": "LATEST"})[0] == "ResourceNotFoundException", "an unknown consumer")
    check(error_code(kinesis.subscribe_to_shard, ConsumerARN=consumer, ShardId="shardId-000000000009",
                     StartingPosition={"Type": "LATEST"})[0] == "ResourceNotFoundException", "an unknown shard")


def takeover():
    # A child of the split shard, which is open.
    child = "shardId-000000000001"
    first = iter(kinesis.subscribe_to_shard(ConsumerARN=consumer, ShardId=child,
                                            StartingPosition={"Type": "LATEST"})["EventStream"])
    check("SubscribeToShardEvent" in next(first), "the first subscription's first event")
    time.sleep(5.5)
    second = kinesis.subscribe_to_shard(ConsumerARN=consumer, ShardId=child, StartingPosition={"Type": "LATEST"})
    check("SubscribeToShardEvent" in next(iter(second["EventStream"])), "the second subscription's first event")
    try:
        for _ in first:
            pass
        check(False, "the subscription taken over ended without an error")
    except ClientError as error:
        code = error.response["Error"]["Code"]
        check(code == "ResourceInUseException", f"the subscription taken over ends with {code}")


def hold():
    events = iter(kinesis.subscribe_to_shard(ConsumerARN=consumer, ShardId="shardId-000000000002",
                                             StartingPosition={"Type": "LATEST"})["EventStream"])
    next(events)
    print("subscribed", flush=True)
    for _ in events:
        pass
    print("ended", flush=True)


def big():
    events = subscribe({"Type": "TRIM_HORIZON"})
    records = records_of(events)
    check(len(records) == 30 and all(r["Data"] == b"%02d" % i + b"x" * 99998 for i, r in enumerate(records)),
          f"{len(records)} records of {sorted(set(len(r['Data']) for r in records))} bytes")
    check(sum(1 for e in events if e["Records"]) >= 2, "3 MB of records come in more than one event")


{"lifetime": lifetime, "takeover": takeover, "hold": hold, "big": big}[mode]()
finish()
