// The JS SDK against kds-serve --credentials at argv[2] (test-credentials.sh): a PutRecord signed with the
// right secret is stored, one signed with another is refused with InvalidSignatureException. Over HTTP/2,
// where the SDK signs the ":authority" pseudo-header.
import { KinesisClient, PutRecordCommand } from "@aws-sdk/client-kinesis";

const client = (secretAccessKey) => new KinesisClient({
  endpoint: process.argv[2], region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "AKIDKDSTEST", secretAccessKey },
});
const good = client("kds/secret+key");
await good.send(new PutRecordCommand({ StreamName: "signed", PartitionKey: "j", Data: Buffer.from("js") }));
good.destroy();
const bad = client("nope");
try {
  await bad.send(new PutRecordCommand({ StreamName: "signed", PartitionKey: "j", Data: Buffer.from("no") }));
  throw new Error("a bad secret was accepted");
} catch (error) {
  if (error.name !== "InvalidSignatureException") throw error;
}
bad.destroy();
