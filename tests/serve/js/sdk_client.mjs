// The AWS SDK for JavaScript v3 against kds-serve at argv[2], as an application uses it: its Kinesis client
// speaks HTTP/2 with prior knowledge to an http:// endpoint (NodeHttp2Handler), JSON 1.1, SigV4-signed.
// Exits non-zero on the first answer that is not what Kinesis gives.
import assert from "node:assert/strict";
import http2 from "node:http2";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import {
  KinesisClient, CreateStreamCommand, DescribeStreamSummaryCommand, PutRecordCommand, PutRecordsCommand,
  ListShardsCommand, GetShardIteratorCommand, GetRecordsCommand, DescribeStreamCommand, waitUntilStreamExists,
  ResourceNotFoundException, ValidationException,
} from "@aws-sdk/client-kinesis";

const endpoint = process.argv[2];
const client = new KinesisClient({
  endpoint, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "kds-test", secretAccessKey: "kds-test" },
});

await client.send(new CreateStreamCommand({ StreamName: "js", ShardCount: 2 }));
await waitUntilStreamExists({ client, maxWaitTime: 30 }, { StreamName: "js" });
const summary = (await client.send(new DescribeStreamSummaryCommand({ StreamName: "js" })))
  .StreamDescriptionSummary;
assert.equal(summary.StreamStatus, "ACTIVE");
assert.equal(summary.OpenShardCount, 2);
assert.ok(summary.StreamCreationTimestamp instanceof Date);

// One PutRecords of 500 records of 2,000 bytes: a request of about 1.3 MiB as base64, more than the
// 64 KiB an HTTP/2 stream may send before the server's window update.
const records = Array.from({ length: 500 }, (_, i) => ({
  PartitionKey: `k${i}`, Data: Buffer.alloc(2000, i % 256),
}));
const batch = await client.send(new PutRecordsCommand({ StreamName: "js", Records: records }));
assert.equal(batch.FailedRecordCount ?? 0, 0);
assert.equal(batch.Records.length, 500);

// Twenty PutRecord calls at once: streams of one connection, or several connections.
const singles = await Promise.all(Array.from({ length: 20 }, (_, i) =>
  client.send(new PutRecordCommand({ StreamName: "js", PartitionKey: `s${i}`, Data: Buffer.from(`single ${i}`) }))));
for (const single of singles) assert.match(single.ShardId, /^shardId-\d{12}$/);

// Read it all back: GetRecords answers of about 670 KB each, past the client's stream window.
const got = new Map();
const shards = (await client.send(new ListShardsCommand({ StreamName: "js" }))).Shards;
assert.equal(shards.length, 2);
for (const shard of shards) {
  let iterator = (await client.send(new GetShardIteratorCommand({
    StreamName: "js", ShardId: shard.ShardId, ShardIteratorType: "TRIM_HORIZON",
  }))).ShardIterator;
  for (;;) {
    const answer = await client.send(new GetRecordsCommand({ ShardIterator: iterator }));
    for (const record of answer.Records) got.set(record.PartitionKey, Buffer.from(record.Data));
    if (answer.MillisBehindLatest === 0 && answer.Records.length === 0) break;
    iterator = answer.NextShardIterator;
  }
}
assert.equal(got.size, 520);
for (let i = 0; i < 500; i++) assert.ok(got.get(`k${i}`).equals(records[i].Data), `record k${i}`);
for (let i = 0; i < 20; i++) assert.equal(got.get(`s${i}`).toString(), `single ${i}`);

// Errors arrive as the SDK's exception classes, with Kinesis's texts.
await assert.rejects(client.send(new DescribeStreamCommand({ StreamName: "absent" })), (error) => {
  assert.ok(error instanceof ResourceNotFoundException);
  assert.equal(error.message, "Stream absent under account 000000000000 not found.");
  assert.equal(error.$metadata.httpStatusCode, 400);
  return true;
});
await assert.rejects(client.send(new PutRecordCommand({ StreamName: "js", PartitionKey: "", Data: Buffer.from("x") })),
  (error) => error instanceof ValidationException);
client.destroy();

// The same SDK forced to HTTP/1.1, as an application that sets NodeHttpHandler does.
const http1 = new KinesisClient({
  endpoint, region: "us-east-1", maxAttempts: 1, requestHandler: new NodeHttpHandler(),
  credentials: { accessKeyId: "kds-test", secretAccessKey: "kds-test" },
});
const overHttp1 = await http1.send(new PutRecordCommand({ StreamName: "js", PartitionKey: "h1", Data: Buffer.from("http/1.1") }));
assert.match(overHttp1.ShardId, /^shardId-\d{12}$/);
http1.destroy();

// Below the SDK, with node's own HTTP/2 client: a body past 16 MiB is refused with 413, and the
// connection stays usable for the next request.
const session = http2.connect(endpoint);
function post(body) {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ":method": "POST", ":path": "/", "content-type": "application/x-amz-json-1.1",
      "x-amz-target": "Kinesis_20131202.ListStreams",
    });
    let status = 0;
    const chunks = [];
    stream.on("response", (headers) => { status = headers[":status"]; });
    stream.on("data", (chunk) => chunks.push(chunk));
    stream.on("end", () => resolve({ status, body: Buffer.concat(chunks).toString() }));
    stream.on("error", reject);
    stream.end(body);
  });
}
const huge = await post(Buffer.alloc((16 << 20) + 1, 0x20));
assert.equal(huge.status, 413);
const unsigned = await post("{}");
assert.equal(unsigned.status, 400);
assert.equal(JSON.parse(unsigned.body).__type, "MissingAuthenticationTokenException");
session.close();
console.log("js sdk: ok");
