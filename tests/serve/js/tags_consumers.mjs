// The AWS SDK for JavaScript v3 against kds-serve at argv[2] (HTTP/2, JSON 1.1, SigV4): tags on a stream and on
// a consumer, by stream name and by ARN, the lifecycle of an enhanced fan-out consumer, resource policies on the
// stream and on the consumer, the stream mode and warm throughput a PROVISIONED stream refuses, and enhanced
// monitoring; the account's billing commitment.
// Exits non-zero on the first answer that is not what Kinesis gives; deletes the stream it made.
import assert from "node:assert/strict";
import {
  KinesisClient, CreateStreamCommand, DeleteStreamCommand, DescribeStreamSummaryCommand,
  ListTagsForStreamCommand, TagResourceCommand, UntagResourceCommand, ListTagsForResourceCommand,
  RegisterStreamConsumerCommand, DescribeStreamConsumerCommand, ListStreamConsumersCommand,
  DeregisterStreamConsumerCommand, PutResourcePolicyCommand, GetResourcePolicyCommand,
  DeleteResourcePolicyCommand, UpdateStreamWarmThroughputCommand, UpdateStreamModeCommand,
  EnableEnhancedMonitoringCommand, DisableEnhancedMonitoringCommand, DescribeAccountSettingsCommand,
  UpdateAccountSettingsCommand, waitUntilStreamExists,
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
async function policyOf(arn) {
  return (await client.send(new GetResourcePolicyCommand({ ResourceARN: arn }))).Policy;
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

// A resource policy on the stream: stored, returned exactly, and "{}" once deleted (none attached).
const streamPolicy = JSON.stringify({ Version: "2012-10-17", Statement: [{
  Effect: "Allow", Principal: { AWS: "arn:aws:iam::000000000000:root" }, Action: "kinesis:GetRecords",
  Resource: streamArn,
}] });
assert.equal(await policyOf(streamArn), "{}");
await client.send(new PutResourcePolicyCommand({ ResourceARN: streamArn, Policy: streamPolicy }));
assert.equal(await policyOf(streamArn), streamPolicy);
await client.send(new DeleteResourcePolicyCommand({ ResourceARN: streamArn }));
assert.equal(await policyOf(streamArn), "{}");

// A consumer's policy is its own, not the stream's.
const consumerPolicy = JSON.stringify({ Version: "2012-10-17", Statement: [{
  Effect: "Allow", Principal: { AWS: "arn:aws:iam::000000000000:root" }, Action: "kinesis:SubscribeToShard",
  Resource: consumerArn,
}] });
await client.send(new PutResourcePolicyCommand({ ResourceARN: consumerArn, Policy: consumerPolicy }));
assert.equal(await policyOf(consumerArn), consumerPolicy);
assert.equal(await policyOf(streamArn), "{}", "the consumer's policy is not the stream's");
await client.send(new PutResourcePolicyCommand({ ResourceARN: streamArn, Policy: streamPolicy }));
await client.send(new DeleteResourcePolicyCommand({ ResourceARN: consumerArn }));
assert.equal(await policyOf(consumerArn), "{}");
assert.equal(await policyOf(streamArn), streamPolicy, "deleting the consumer's policy keeps the stream's");
await client.send(new DeleteResourcePolicyCommand({ ResourceARN: streamArn }));
assert.equal(await policyOf(streamArn), "{}");

// A policy that is no JSON, or has no Statement, is refused; so is a policy on a stream that does not exist.
await rejectsWith(client.send(new PutResourcePolicyCommand({ ResourceARN: streamArn, Policy: "not json" })),
  "InvalidArgumentException");
await rejectsWith(client.send(new PutResourcePolicyCommand({ ResourceARN: streamArn, Policy: "{}" })),
  "InvalidArgumentException");
assert.equal(await policyOf(streamArn), "{}", "a refused PutResourcePolicy changes nothing");
await rejectsWith(client.send(new PutResourcePolicyCommand({
  ResourceARN: "arn:aws:kinesis:us-east-1:000000000000:stream/nope", Policy: streamPolicy,
})), "ResourceNotFoundException");

// Every kds stream is PROVISIONED: no warm throughput, no ON_DEMAND; PROVISIONED is accepted as it is.
await rejectsWith(client.send(new UpdateStreamWarmThroughputCommand({
  StreamName: "tagged", WarmThroughputMiBps: 100,
})), "InvalidArgumentException");
await rejectsWith(client.send(new UpdateStreamModeCommand({
  StreamARN: streamArn, StreamModeDetails: { StreamMode: "ON_DEMAND" },
})), "InvalidArgumentException");
await client.send(new UpdateStreamModeCommand({
  StreamARN: streamArn, StreamModeDetails: { StreamMode: "PROVISIONED" },
}));

// Enhanced monitoring: the metrics enabled are kept and shown by DescribeStreamSummary; "ALL" disables them all.
const enabled = await client.send(new EnableEnhancedMonitoringCommand({
  StreamName: "tagged", ShardLevelMetrics: ["IncomingBytes", "OutgoingRecords"],
}));
assert.deepEqual(enabled.CurrentShardLevelMetrics, []);
assert.deepEqual(enabled.DesiredShardLevelMetrics, ["IncomingBytes", "OutgoingRecords"]);
const monitored = (await client.send(new DescribeStreamSummaryCommand({ StreamName: "tagged" })))
  .StreamDescriptionSummary;
assert.deepEqual(monitored.EnhancedMonitoring[0].ShardLevelMetrics, ["IncomingBytes", "OutgoingRecords"]);
const disabled = await client.send(new DisableEnhancedMonitoringCommand({
  StreamName: "tagged", ShardLevelMetrics: ["ALL"],
}));
assert.deepEqual(disabled.CurrentShardLevelMetrics, ["IncomingBytes", "OutgoingRecords"]);
assert.deepEqual(disabled.DesiredShardLevelMetrics, []);

// Deregistered, the consumer is gone; then the stream is deleted, even with consumer deletion enforced.
await client.send(new DeregisterStreamConsumerCommand({ ConsumerARN: consumerArn }));
await rejectsWith(client.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerArn })),
  "ResourceNotFoundException");
await client.send(new DeleteStreamCommand({ StreamName: "tagged", EnforceConsumerDeletion: true }));
await rejectsWith(client.send(new DescribeStreamSummaryCommand({ StreamName: "tagged" })),
  "ResourceNotFoundException");

// The billing commitment: a day at least, so a disable right after enabling is pending until then.
const enabledAccount = (await client.send(new UpdateAccountSettingsCommand({
  MinimumThroughputBillingCommitment: { Status: "ENABLED" } }))).MinimumThroughputBillingCommitment;
assert.equal(enabledAccount.Status, "ENABLED");
assert.ok(enabledAccount.StartedAt instanceof Date);
assert.equal(enabledAccount.EarliestAllowedEndAt - enabledAccount.StartedAt, 86400 * 1000);
await client.send(new UpdateAccountSettingsCommand({ MinimumThroughputBillingCommitment: { Status: "DISABLED" } }));
const account = (await client.send(new DescribeAccountSettingsCommand({}))).MinimumThroughputBillingCommitment;
assert.equal(account.Status, "ENABLED_UNTIL_EARLIEST_ALLOWED_END");
assert.equal(account.EndedAt.getTime(), enabledAccount.EarliestAllowedEndAt.getTime());
client.destroy();
console.log("js sdk tags and consumers: ok");
