// A SubscribeToShard event stream over HTTP/2 that outlasts the server's idle timeout: kds-serve is started by
// test-js-sdk.sh with --idle-timeout 2 --subscription-lifetime 8, and the stream must carry its heartbeats to
// the end of its lifetime and end cleanly, although the client sends nothing after its request. argv[2] is the
// endpoint, argv[3] a registered consumer's ARN, argv[4] an open shard of its stream.
import {KinesisClient, SubscribeToShardCommand} from "@aws-sdk/client-kinesis";

const [endpoint, consumer, shard] = process.argv.slice(2);
const client = new KinesisClient({
  endpoint, region: "us-east-1", maxAttempts: 1,
  credentials: {accessKeyId: "kds-test", secretAccessKey: "kds-test"},
});
const response = await client.send(new SubscribeToShardCommand({
  ConsumerARN: consumer, ShardId: shard, StartingPosition: {Type: "LATEST"},
}));
let events = 0;
for await (const event of response.EventStream) {
  if (!event.SubscribeToShardEvent) throw new Error(`not a SubscribeToShardEvent: ${Object.keys(event)}`);
  events++;
}
// At once, and every 5 s: at least two events in 8 s, the second after the 2 s idle timeout.
if (events < 2) throw new Error(`only ${events} event(s) before the stream ended`);
console.log("js sdk long subscription: ok");
