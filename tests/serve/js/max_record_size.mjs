// The AWS SDK for JavaScript v3 against kds-serve at argv[2] (HTTP/2, JSON 1.1): a stream's maximum record
// size, from CreateStream's MaxRecordSizeInKiB and UpdateMaxRecordSize, shown by DescribeStreamSummary and held
// to by PutRecord and PutRecords; records of up to 10 MiB put and read back byte for byte.
// Exits non-zero on the first answer that is not what Kinesis gives; leaves the stream "large" for the caller.
import assert from "node:assert/strict";
import {
  KinesisClient, CreateStreamCommand, DescribeStreamSummaryCommand, UpdateMaxRecordSizeCommand,
  PutRecordCommand, PutRecordsCommand, GetShardIteratorCommand, GetRecordsCommand, waitUntilStreamExists,
} from "@aws-sdk/client-kinesis";

const endpoint = process.argv[2];
const client = new KinesisClient({
  endpoint, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "kds-test", secretAccessKey: "kds-test" },
});
const streamArn = "arn:aws:kinesis:us-east-1:000000000000:stream/large";

async function rejectsWith(promise, name, pattern) {
  await assert.rejects(promise, (error) => {
    assert.equal(error.name, name, `${error.name}: ${error.message}`);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}
async function maxOf(name) {
  const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
  return summary.StreamDescriptionSummary.MaxRecordSizeInKiB;
}
// A record of `size` bytes whose bytes depend on `seed`, to tell records apart when read back.
function bytes(size, seed) {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + seed) & 0xff;
  return data;
}

await rejectsWith(client.send(new CreateStreamCommand({ StreamName: "large", ShardCount: 1, MaxRecordSizeInKiB: 1000 })),
  "ValidationException", /maxRecordSizeInKiB.*greater than or equal to 1024/);
await client.send(new CreateStreamCommand({ StreamName: "large", ShardCount: 1, MaxRecordSizeInKiB: 2048 }));
await waitUntilStreamExists({ client, maxWaitTime: 30 }, { StreamName: "large" });
assert.equal(await maxOf("large"), 2048);

// 2 MiB of key and data goes in; one byte more is refused, naming the stream's limit.
const fits = bytes(2 * 1024 * 1024 - 1, 1);
await client.send(new PutRecordCommand({ StreamName: "large", PartitionKey: "k", Data: fits }));
await rejectsWith(client.send(new PutRecordCommand({ StreamName: "large", PartitionKey: "k", Data: bytes(2 * 1024 * 1024 + 1, 2) })),
  "ValidationException", /less than or equal to 2097152/);
await rejectsWith(client.send(new PutRecordCommand({ StreamName: "large", PartitionKey: "kk", Data: fits })),
  "ValidationException", /exceeds the maximum record size of 2097152 bytes/);

// UpdateMaxRecordSize by ARN, at once; out of range and unknown streams refused.
await rejectsWith(client.send(new UpdateMaxRecordSizeCommand({ StreamARN: streamArn, MaxRecordSizeInKiB: 10241 })),
  "ValidationException", /less than or equal to 10240/);
await rejectsWith(client.send(new UpdateMaxRecordSizeCommand({
  StreamARN: "arn:aws:kinesis:us-east-1:000000000000:stream/absent", MaxRecordSizeInKiB: 2048,
})), "ResourceNotFoundException");
await client.send(new UpdateMaxRecordSizeCommand({ StreamARN: streamArn, MaxRecordSizeInKiB: 10240 }));
assert.equal(await maxOf("large"), 10240);
const largest = bytes(10 * 1024 * 1024 - 1, 3);
await client.send(new PutRecordCommand({ StreamName: "large", PartitionKey: "k", Data: largest }));
const batch = await client.send(new PutRecordsCommand({
  StreamName: "large", Records: [0, 1, 2].map((i) => ({ PartitionKey: `p${i}`, Data: bytes(3 * 1024 * 1024, 10 + i) })),
}));
assert.equal(batch.FailedRecordCount, 0);
// Four records of 2.6 MiB: over the request's 10 MiB, while the body (base64) stays under kds-serve's 16 MiB.
await rejectsWith(client.send(new PutRecordsCommand({
  StreamName: "large", Records: [0, 1, 2, 3].map((i) => ({ PartitionKey: `p${i}`, Data: bytes(2726298, i) })),
})), "InvalidArgumentException", /Records size exceeds 10 MB limit/);

// Lowered again: new records are held to it, stored ones stay readable.
await client.send(new UpdateMaxRecordSizeCommand({ StreamARN: streamArn, MaxRecordSizeInKiB: 1024 }));
await rejectsWith(client.send(new PutRecordCommand({ StreamName: "large", PartitionKey: "k", Data: fits })),
  "ValidationException", /less than or equal to 1048576/);
const iterator = (await client.send(new GetShardIteratorCommand({
  StreamName: "large", ShardId: "shardId-000000000000", ShardIteratorType: "TRIM_HORIZON",
}))).ShardIterator;
const got = [];
let next = iterator;
while (got.length < 5) {
  const page = await client.send(new GetRecordsCommand({ ShardIterator: next }));
  assert.ok(page.Records.length > 0, "every record is returned");
  got.push(...page.Records);
  next = page.NextShardIterator;
}
const expected = [fits, largest, ...[0, 1, 2].map((i) => bytes(3 * 1024 * 1024, 10 + i))];
assert.equal(got.length, expected.length);
got.forEach((record, i) => assert.ok(Buffer.from(record.Data).equals(Buffer.from(expected[i])), `record ${i}`));
console.log("max record size: ok");
