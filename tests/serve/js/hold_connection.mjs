// Holds an HTTP/2 connection to kds-serve at argv[2] open after one request, and reports what the server
// does with it when stopped: prints "ready", then "goaway" when the server's GOAWAY arrives and "closed"
// when the connection ends. tests/serve/test-js-sdk.sh stops the server in between.
import http2 from "node:http2";

const session = http2.connect(process.argv[2]);
session.on("goaway", (code) => console.log(`goaway ${code}`));
session.on("close", () => console.log("closed"));
session.on("error", (error) => console.log(`error ${error.code}`));
const stream = session.request({
  ":method": "POST", ":path": "/", "content-type": "application/x-amz-json-1.1",
  "x-amz-target": "Kinesis_20131202.ListStreams", "x-amz-date": "20261206T000000Z",
  "authorization": "AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-1/kinesis/aws4_request, " +
    "SignedHeaders=host;x-amz-date, Signature=00",
});
stream.on("response", (headers) => console.log(`status ${headers[":status"]}`));
stream.resume();
stream.on("end", () => console.log("ready"));
stream.end("{}");
