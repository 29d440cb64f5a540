// The AWS SDK for JavaScript v3 against kds-serve at argv[2] (HTTP/2, JSON 1.1, SigV4): tags on a stream and on
// a consumer, by stream name and by ARN, and the lifecycle of an enhanced fan-out consumer.
// Exits non-zero on the first answer that is not what Kinesis gives; deletes the stream it made.
import assert from "node:assert/strict";
import {
  KinesisClient, CreateStreamCommand, DeleteStreamCommand, DescribeStreamSummaryCommand,
  ListTagsForStreamCommand, TagResourceCommand, UntagResourceCommand, ListTagsForResourceCommand,
  RegisterStreamConsumerCommand, DescribeStreamConsumerCommand, ListStreamConsumersCommand,
  DeregisterStreamConsumerCommand, waitUntilStreamExists,
} from "@aws-sdk/client-kinesis";

const endpoint = process.argv[2];
const client = new KinesisClient({
  endpoint, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "kds-test", secretAccessKey: "kds-test" },
});

// assert.rejects with the name of the Kinesis error expected.
async function rejectsWith(promise, name) {
  await assert.rejects(promise, (error) => {
    assert.equal(error.name, name, `${error.name}: ${error.message}`);
    return true;
  });
}
async function tagsOf(arn) {
  return (await client.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags;
}

// Tags given at creation, listed by stream name, sorted by key.
await client.send(new CreateStreamCommand({ StreamName: "tagged", ShardCount: 1, Tags: { team: "data", env: "dev" } }));
await waitUntilStreamExists({ client, maxWaitTime: 30 }, { StreamName: "tagged" });
const byName = await client.send(new ListTagsForStreamCommand({ StreamName: "tagged" }));
assert.deepEqual(byName.Tags, [{ Key: "env", Value: "dev" }, { Key: "team", Value: "data" }]);
assert.equal(byName.HasMoreTags, false);

// TagResource, ListTagsForResource and UntagResource on the stream's ARN; an absent key is ignored.
const streamArn = "arn:aws:kinesis:us-east-1:000000000000:stream/tagged";
await client.send(new TagResourceCommand({ ResourceARN: streamArn, Tags: { owner: "me" } }));
assert.deepEqual(await tagsOf(streamArn),
  [{ Key: "env", Value: "dev" }, { Key: "owner", Value: "me" }, { Key: "team", Value: "data" }]);
await client.send(new UntagResourceCommand({ ResourceARN: streamArn, TagKeys: ["env", "absent"] }));
assert.deepEqual(await tagsOf(streamArn), [{ Key: "owner", Value: "me" }, { Key: "team", Value: "data" }]);

// A consumer with a tag: CREATING when registered, ACTIVE when described.
const registered = (await client.send(new RegisterStreamConsumerCommand({
  StreamARN: streamArn, ConsumerName: "app", Tags: { tier: "gold" },
}))).Consumer;
assert.equal(registered.ConsumerName, "app");
assert.equal(registered.ConsumerStatus, "CREATING");
assert.match(registered.ConsumerARN, /^arn:aws:kinesis:us-east-1:000000000000:stream\/tagged\/consumer\/app:\d+$/);
assert.ok(registered.ConsumerCreationTimestamp instanceof Date);
const consumerArn = registered.ConsumerARN;
const described = (await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerArn })))
  .ConsumerDescription;
assert.equal(described.ConsumerName, "app");
assert.equal(described.ConsumerARN, consumerArn);
assert.equal(described.ConsumerStatus, "ACTIVE");
assert.equal(described.StreamARN, streamArn);
assert.ok(described.ConsumerCreationTimestamp instanceof Date);

// The consumer's tags, by its ARN.
assert.deepEqual(await tagsOf(consumerArn), [{ Key: "tier", Value: "gold" }]);
await client.send(new TagResourceCommand({ ResourceARN: consumerArn, Tags: { cost: "low" } }));
assert.deepEqual(await tagsOf(consumerArn), [{ Key: "cost", Value: "low" }, { Key: "tier", Value: "gold" }]);
await client.send(new UntagResourceCommand({ ResourceARN: consumerArn, TagKeys: ["tier", "absent"] }));
assert.deepEqual(await tagsOf(consumerArn), [{ Key: "cost", Value: "low" }]);
assert.deepEqual(await tagsOf(streamArn), [{ Key: "owner", Value: "me" }, { Key: "team", Value: "data" }],
  "the consumer's tags are not the stream's");

const consumers = (await client.send(new ListStreamConsumersCommand({ StreamARN: streamArn }))).Consumers;
assert.equal(consumers.length, 1);
assert.equal(consumers[0].ConsumerName, "app");
assert.equal(consumers[0].ConsumerARN, consumerArn);
const summary = (await client.send(new DescribeStreamSummaryCommand({ StreamName: "tagged" })))
  .StreamDescriptionSummary;
assert.equal(summary.ConsumerCount, 1);

// Errors.
const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, `v${i}`]));
await rejectsWith(client.send(new TagResourceCommand({ ResourceARN: streamArn, Tags: tooMany })),
  "InvalidArgumentException");
assert.deepEqual(await tagsOf(streamArn), [{ Key: "owner", Value: "me" }, { Key: "team", Value: "data" }],
  "a refused TagResource changes nothing");
await rejectsWith(client.send(new ListTagsForResourceCommand({
  ResourceARN: "arn:aws:kinesis:us-east-1:000000000000:stream/nope",
})), "ResourceNotFoundException");
await rejectsWith(client.send(new ListTagsForResourceCommand({ ResourceARN: `${consumerArn}0` })),
  "ResourceNotFoundException");
await rejectsWith(client.send(new DeleteStreamCommand({ StreamName: "tagged" })), "ResourceInUseException");

// Deregistered, the consumer is gone; then the stream is deleted, even with consumer deletion enforced.
await client.send(new DeregisterStreamConsumerCommand({ ConsumerARN: consumerArn }));
await rejectsWith(client.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerArn })),
  "ResourceNotFoundException");
await client.send(new DeleteStreamCommand({ StreamName: "tagged", EnforceConsumerDeletion: true }));
await rejectsWith(client.send(new DescribeStreamSummaryCommand({ StreamName: "tagged" })),
  "ResourceNotFoundException");
client.destroy();
console.log("js sdk tags and consumers: ok");
