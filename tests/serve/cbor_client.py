"""CBOR 1.1 requests as the Java SDK sends them (Content-Type application/x-amz-cbor-1.1, Blobs as byte
strings, timestamps as tag 1 around integer milliseconds), against kds-serve at argv[1], a record of 10 MiB
among them. Encodes with python3-cbor2 and decodes with its pure-Python decoder, taught that tag 1 carries
milliseconds (as the AWS SDKs read it) rather than RFC 8949's seconds."""
import io
import sys
import time
import urllib.error
import urllib.request

import cbor2
import cbor2.decoder

ENDPOINT = sys.argv[1]
CBOR = "application/x-amz-cbor-1.1"


class EpochMillis(int):
    """A timestamp as the server sent it: tag 1 around integer milliseconds."""


cbor2.decoder.semantic_decoders[1] = lambda decoder: EpochMillis(decoder._decode())


def decode(data):
    return cbor2.decoder.CBORDecoder(io.BytesIO(data)).decode()


def call(operation, body, expect=200):
    request = urllib.request.Request(ENDPOINT, data=cbor2.dumps(body), method="POST", headers={
        "Content-Type": CBOR,
        "X-Amz-Target": "Kinesis_20131202." + operation,
        "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-1/kinesis/aws4_request, "
                         "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00",
    })
    try:
        with urllib.request.urlopen(request) as response:
            status, content_type, data = response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        status, content_type, data = error.code, error.headers["Content-Type"], error.read()
    assert status == expect, f"{operation}: status {status}, {data!r}"
    assert content_type == CBOR, f"{operation}: content type {content_type}"
    return decode(data) if data else None


call("CreateStream", {"StreamName": "java", "ShardCount": 2})
summary = call("DescribeStreamSummary", {"StreamName": "java"})["StreamDescriptionSummary"]
created = summary["StreamCreationTimestamp"]
assert isinstance(created, EpochMillis) and abs(created - time.time() * 1000) < 600_000, created
assert summary["OpenShardCount"] == 2

payloads = [bytes(range(256)), b"", b"\x00" * 1000, "ünïcødé".encode()]
put = call("PutRecords", {"StreamName": "java",
                          "Records": [{"PartitionKey": f"k{i}", "Data": p} for i, p in enumerate(payloads)]})
assert put["FailedRecordCount"] == 0 and len(put["Records"]) == len(payloads), put
single = call("PutRecord", {"StreamName": "java", "PartitionKey": "one", "Data": b"\xff\xfe"})
assert single["ShardId"].startswith("shardId-"), single

got = []
for shard in call("ListShards", {"StreamName": "java"})["Shards"]:
    # AT_TIMESTAMP with tag 1 around milliseconds, as the Java SDK sends an Instant.
    iterator = call("GetShardIterator", {"StreamName": "java", "ShardId": shard["ShardId"],
                                         "ShardIteratorType": "AT_TIMESTAMP",
                                         "Timestamp": cbor2.CBORTag(1, int(created) - 1000)})["ShardIterator"]
    answer = call("GetRecords", {"ShardIterator": iterator})
    for record in answer["Records"]:
        assert isinstance(record["Data"], bytes), record
        assert isinstance(record["ApproximateArrivalTimestamp"], EpochMillis), record
        got.append((record["PartitionKey"], record["Data"]))
    assert isinstance(answer["MillisBehindLatest"], int)
expected = {(f"k{i}", p) for i, p in enumerate(payloads)} | {("one", b"\xff\xfe")}
assert set(got) == expected, got

# A record of 10 MiB less its key on a stream that takes it, as raw bytes both ways (the JSON body of the same
# request would be a third larger).
call("CreateStream", {"StreamName": "java-large", "ShardCount": 1, "MaxRecordSizeInKiB": 10240})
large = call("DescribeStreamSummary", {"StreamName": "java-large"})["StreamDescriptionSummary"]
assert large["MaxRecordSizeInKiB"] == 10240, large
big = bytes(i * 7 % 251 for i in range(10 * 1024 * 1024 - 3))
call("PutRecord", {"StreamName": "java-large", "PartitionKey": "big", "Data": big})
too_big = call("PutRecord", {"StreamName": "java-large", "PartitionKey": "big!", "Data": big}, expect=400)
assert too_big["__type"] == "ValidationException", too_big
iterator = call("GetShardIterator", {"StreamName": "java-large", "ShardId": "shardId-000000000000",
                                     "ShardIteratorType": "TRIM_HORIZON"})["ShardIterator"]
records = call("GetRecords", {"ShardIterator": iterator})["Records"]
assert len(records) == 1 and records[0]["Data"] == big, [len(r["Data"]) for r in records]

# Errors in CBOR too; a body that is not CBOR is a SerializationException.
missing = call("DescribeStreamSummary", {"StreamName": "nope"}, expect=400)
assert missing["__type"] == "ResourceNotFoundException", missing
assert "nope" in missing["message"], missing
invalid = call("PutRecord", {"StreamName": "java", "PartitionKey": "", "Data": b"x"}, expect=400)
assert invalid["__type"] == "ValidationException", invalid
print("cbor client: ok")
