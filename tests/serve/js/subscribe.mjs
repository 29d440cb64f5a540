// The AWS SDK for JavaScript v3 against kds-serve at argv[2]: SubscribeToShard (enhanced fan-out) over HTTP/2,
// the event stream as the SDK reads it. The records already there come in the first event, in order, with the
// continuation; a record put while subscribed comes in a later one; a second subscription of the same consumer to
// the same shard at once is refused; a split ends the subscription with the children and no continuation; and a
// subscription after the continuation on the closed parent reads the one record left, then the children.
// Exits non-zero on the first answer that is not what Kinesis gives, or after 20 s without an awaited event;
// deletes the stream it made.
import assert from "node:assert/strict";
import {
  KinesisClient, CreateStreamCommand, DeleteStreamCommand, DescribeStreamSummaryCommand,
  RegisterStreamConsumerCommand, PutRecordsCommand, PutRecordCommand, SubscribeToShardCommand, SplitShardCommand,
  waitUntilStreamExists,
} from "@aws-sdk/client-kinesis";

const endpoint = process.argv[2];
const client = new KinesisClient({
  endpoint, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "kds-test", secretAccessKey: "kds-test" },
});
const stream = "fanout";
const parent = "shardId-000000000000";
const waitMs = 20000;

// The promise's value, or a failure naming what did not come within waitMs.
function within(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${waitMs} ms waiting for ${what}`)), waitMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
// The events of a subscription, each awaited for at most waitMs; the loop over them ends with the event stream.
async function* eventsOf(response, what) {
  const iterator = response.EventStream[Symbol.asyncIterator]();
  for (let n = 1; ; n++) {
    const { done, value } = await within(iterator.next(), `event ${n} (or the end) of ${what}`);
    if (done) return;
    assert.ok(value.SubscribeToShardEvent, `${what}: an event that is no SubscribeToShardEvent: ${
      Object.keys(value)}`);
    yield value.SubscribeToShardEvent;
  }
}
function subscribe(consumerArn, position, what) {
  return within(client.send(new SubscribeToShardCommand({
    ConsumerARN: consumerArn, ShardId: parent, StartingPosition: position,
  })), `the answer to ${what}`);
}
// A record as the test compares it.
function plain(record) {
  return { key: record.PartitionKey, data: Buffer.from(record.Data).toString(), seq: record.SequenceNumber };
}
// An event before the shard's end: a continuation (that of its last record if it has any), no children.
function checkOpenEvent(event, what) {
  assert.ok(Array.isArray(event.Records), `${what}: Records`);
  assert.equal(typeof event.MillisBehindLatest, "number", `${what}: MillisBehindLatest`);
  assert.deepEqual(event.ChildShards, [], `${what}: ChildShards before the shard's end`);
  assert.match(event.ContinuationSequenceNumber ?? "", /^\d+$/, `${what}: ContinuationSequenceNumber`);
  if (event.Records.length > 0) {
    assert.equal(event.ContinuationSequenceNumber, event.Records.at(-1).SequenceNumber,
      `${what}: the continuation is the last record's sequence number`);
  }
}
// The last event of a subscription to the split shard: the two children, no continuation.
function checkEndEvent(event, what) {
  assert.equal(event.ContinuationSequenceNumber, undefined, `${what}: no continuation at the shard's end`);
  assert.equal(typeof event.MillisBehindLatest, "number", `${what}: MillisBehindLatest`);
  assert.ok(Array.isArray(event.ChildShards) && event.ChildShards.length === 2,
    `${what}: two ChildShards: ${JSON.stringify(event.ChildShards)}`);
  assert.deepEqual(event.ChildShards.map((child) => child.ShardId).sort(),
    ["shardId-000000000001", "shardId-000000000002"], `${what}: the children`);
  for (const child of event.ChildShards) {
    assert.deepEqual(child.ParentShards, [parent], `${what}: ${child.ShardId}'s parents`);
    assert.match(child.HashKeyRange?.StartingHashKey ?? "", /^\d+$/, `${what}: ${child.ShardId}'s hash key range`);
  }
}

await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
await waitUntilStreamExists({ client, maxWaitTime: 30 }, { StreamName: stream });
const streamArn = (await client.send(new DescribeStreamSummaryCommand({ StreamName: stream })))
  .StreamDescriptionSummary.StreamARN;
const consumerArn = (await client.send(new RegisterStreamConsumerCommand({
  StreamARN: streamArn, ConsumerName: "fan",
}))).Consumer.ConsumerARN;

const put = await client.send(new PutRecordsCommand({ StreamName: stream, Records: [
  { PartitionKey: "a", Data: Buffer.from("first") },
  { PartitionKey: "b", Data: Buffer.from("second") },
  { PartitionKey: "c", Data: Buffer.from("third") },
] }));
assert.equal(put.FailedRecordCount ?? 0, 0);
const putSeqs = put.Records.map((record) => record.SequenceNumber);

// From TRIM_HORIZON: the three records in the first event, in order.
const firstBegan = Date.now();
const first = await subscribe(consumerArn, { Type: "TRIM_HORIZON" }, "SubscribeToShard from TRIM_HORIZON");
const events = eventsOf(first, "the subscription from TRIM_HORIZON");
const opening = (await events.next()).value;
assert.ok(opening, "the subscription from TRIM_HORIZON ended before its first event");
checkOpenEvent(opening, "the first event");
assert.deepEqual(opening.Records.map(plain), [
  { key: "a", data: "first", seq: putSeqs[0] },
  { key: "b", data: "second", seq: putSeqs[1] },
  { key: "c", data: "third", seq: putSeqs[2] },
], "the first event carries the three records put, in order");
const seqs = opening.Records.map((record) => BigInt(record.SequenceNumber));
assert.ok(seqs[0] < seqs[1] && seqs[1] < seqs[2], `sequence numbers ascending: ${seqs}`);
for (const record of opening.Records) assert.ok(record.ApproximateArrivalTimestamp instanceof Date);
const continuation = opening.ContinuationSequenceNumber;
assert.equal(continuation, putSeqs[2]);

// Another subscription of the consumer to the shard at once (well within 5 s of the first) is refused.
assert.ok(Date.now() - firstBegan < 4000, "the first event took too long to test the 5 s exclusivity");
await assert.rejects(
  subscribe(consumerArn, { Type: "LATEST" }, "a second SubscribeToShard"), (error) => {
    assert.equal(error.name, "ResourceInUseException", `${error.name}: ${error.message}`);
    return true;
  });

// A record put while subscribed comes in a later event; events without records (heartbeats) may come before.
const later = await client.send(new PutRecordCommand({ StreamName: stream, PartitionKey: "d", Data: Buffer.from("fourth") }));
const deadline = Date.now() + waitMs;
let fourth;
for (let n = 2; !fourth; n++) {
  assert.ok(Date.now() < deadline, "the record put while subscribed did not come within 20 s");
  const { done, value: event } = await events.next();
  assert.ok(!done, "the subscription ended before the record put while subscribed came");
  checkOpenEvent(event, `event ${n}`);
  if (event.Records.length === 0) continue;
  assert.deepEqual(event.Records.map(plain), [{ key: "d", data: "fourth", seq: later.SequenceNumber }],
    "the event after the record put while subscribed");
  fourth = event;
}

// The split closes the shard: the subscription ends with the children and no continuation.
await client.send(new SplitShardCommand({
  StreamName: stream, ShardToSplit: parent, NewStartingHashKey: "170141183460469231731687303715884105728",
}));
let ending;
for await (const event of events) {
  assert.equal(ending, undefined, `an event after the one with the children: ${JSON.stringify(event)}`);
  assert.deepEqual(event.Records, [], "no records after the split");
  if (event.ContinuationSequenceNumber === undefined) {
    checkEndEvent(event, "the split shard's last event");
    ending = event;
  } else {
    checkOpenEvent(event, "an event before the split shard's end");
  }
}
assert.ok(ending, "the subscription ended without the event that names the children");

// After the continuation of the first event, on the closed parent: the one record put since, then the children.
// (More than 5 s after the first subscription began, so that a server that still counts it takes it over.)
await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstBegan + 5500 - Date.now())));
const resumed = await subscribe(consumerArn, { Type: "AFTER_SEQUENCE_NUMBER", SequenceNumber: continuation },
  "SubscribeToShard after the continuation");
const resumedEvents = [];
for await (const event of eventsOf(resumed, "the subscription after the continuation")) resumedEvents.push(event);
assert.ok(resumedEvents.length > 0, "the subscription after the continuation ended without an event");
const records = resumedEvents.flatMap((event) => event.Records.map(plain));
assert.deepEqual(records, [{ key: "d", data: "fourth", seq: later.SequenceNumber }],
  "the subscription after the continuation reads the one record put since");
resumedEvents.slice(0, -1).forEach((event, i) => checkOpenEvent(event, `resumed event ${i + 1}`));
checkEndEvent(resumedEvents.at(-1), "the resumed subscription's last event");

await client.send(new DeleteStreamCommand({ StreamName: stream, EnforceConsumerDeletion: true }));
client.destroy();
console.log("js sdk SubscribeToShard: ok");
