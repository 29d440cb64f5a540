#!/usr/bin/env bash
# kds-serve's HTTP/1.1 transport with raw sockets: keep-alive, the 413 answered from Content-Length
# before the body is sent, malformed HTTP, a slow client that does not hold up others, an unknown
# operation, SubscribeToShard to an HTTP/1.0 client (no chunks), and a clean stop on SIGTERM while a
# client is connected.
source "$(dirname "$0")/lib.sh"
start_server --subscription-lifetime 2
"$PYTHON" - "$ENDPOINT" <<'PY' || fail "wire checks"
import json, socket, sys, time
host, port = sys.argv[1].removeprefix("http://").rsplit(":", 1)
port = int(port)
failures = []

def check(condition, what):
    if not condition:
        failures.append(what)

def request(operation, body, extra="", version="1.1"):
    body = body.encode() if isinstance(body, str) else body
    return (f"POST / HTTP/{version}\r\nHost: {host}\r\nContent-Type: application/x-amz-json-1.1\r\n"
            f"X-Amz-Target: Kinesis_20131202.{operation}\r\nX-Amz-Date: 20261203T000000Z\r\n"
            "Authorization: AWS4-HMAC-SHA256 Credential=a/20261203/us-east-1/kinesis/aws4_request, "
            f"SignedHeaders=host, Signature=00\r\n{extra}Content-Length: {len(body)}\r\n\r\n").encode() + body

def read_response(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, {}, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    length = int(headers.get("content-length", 0))
    while len(rest) < length:
        rest += sock.recv(65536)
    return status, headers, rest[:length]

# Keep-alive: several requests on one connection.
sock = socket.create_connection((host, port))
sock.sendall(request("CreateStream", '{"StreamName":"w","ShardCount":1}'))
status, headers, body = read_response(sock)
check(status == 200 and body == b"", f"create: {status} {body}")
for i in range(5):
    sock.sendall(request("PutRecord", json.dumps({"StreamName": "w", "PartitionKey": "k", "Data": "eA=="})))
    status, headers, body = read_response(sock)
    check(status == 200 and json.loads(body)["ShardId"] == "shardId-000000000000", f"put {i}: {status} {body}")
    check(len(headers.get("x-amzn-requestid", "")) == 36, f"request id {headers}")
sock.sendall(request("Fly", "{}"))
status, headers, body = read_response(sock)
check(status == 400 and json.loads(body) == {"__type": "UnknownOperationException"}, f"unknown op {status} {body}")
check(headers.get("x-amzn-errortype") == "UnknownOperationException", f"error type header {headers}")
sock.close()

# SubscribeToShard to an HTTP/1.0 client, which knows no chunked encoding: the event stream as it is, ended
# by closing the connection (here when the subscription's 2 s lifetime is over).
def ask(operation, body):
    with socket.create_connection((host, port)) as s:
        s.sendall(request(operation, json.dumps(body)))
        status, _, answer = read_response(s)
        return status, json.loads(answer) if answer else {}

status, answer = ask("RegisterStreamConsumer", {"StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/w",
                                                "ConsumerName": "old"})
check(status == 200, f"register: {status} {answer}")
consumer = answer["Consumer"]["ConsumerARN"]
for _ in range(100):
    status, answer = ask("DescribeStreamConsumer", {"ConsumerARN": consumer})
    if answer["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE":
        break
    time.sleep(0.1)
sock = socket.create_connection((host, port))
sock.settimeout(30)
sock.sendall(request("SubscribeToShard", json.dumps({"ConsumerARN": consumer, "ShardId": "shardId-000000000000",
                                                     "StartingPosition": {"Type": "TRIM_HORIZON"}}),
                     version="1.0"))
data = b""
while chunk := sock.recv(65536):
    data += chunk
sock.close()
head, _, body = data.partition(b"\r\n\r\n")
lines = head.decode().split("\r\n")
headers = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
check(lines[0].split()[1] == "200", f"HTTP/1.0 subscribe: {lines[0]}")
check("transfer-encoding" not in headers and "content-length" not in headers, f"HTTP/1.0 subscribe headers {headers}")
kinds, records = [], 0
while len(body) >= 16:
    total, header_length = int.from_bytes(body[:4], "big"), int.from_bytes(body[4:8], "big")
    fields, at = {}, 12
    while at < 12 + header_length:
        name_length = body[at]
        name = body[at + 1:at + 1 + name_length].decode()
        value_length = int.from_bytes(body[at + 2 + name_length:at + 4 + name_length], "big")
        fields[name] = body[at + 4 + name_length:at + 4 + name_length + value_length].decode()
        at += 4 + name_length + value_length
    payload = body[12 + header_length:total - 4]
    kinds.append(fields.get(":event-type"))
    if fields.get(":event-type") == "SubscribeToShardEvent":
        records += len(json.loads(payload)["Records"])
    body = body[total:]
check(body == b"", f"HTTP/1.0 subscribe: {len(body)} bytes left that are no whole message")
check(kinds[:1] == ["initial-response"] and "SubscribeToShardEvent" in kinds, f"HTTP/1.0 events {kinds}")
check(records == 5, f"HTTP/1.0 subscribe: {records} records, not 5")

# A body past the limit is refused from its Content-Length, without sending it.
sock = socket.create_connection((host, port))
sock.sendall((f"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n"
              f"X-Amz-Target: Kinesis_20131202.PutRecords\r\nContent-Length: {64 << 20}\r\n\r\n").encode())
sock.settimeout(10)
status, headers, body = read_response(sock)
check(status == 413, f"oversized body: {status}")
sock.close()

# Not HTTP at all: 400 and the connection closed; the server goes on serving.
sock = socket.create_connection((host, port))
sock.sendall(b"HELLO THERE\r\n\r\n")
sock.settimeout(10)
status, headers, body = read_response(sock)
check(status == 400, f"malformed request: {status}")
check(sock.recv(10) == b"", "connection closed after a malformed request")
sock.close()

# A slow client that sends half a request does not hold up another.
slow = socket.create_connection((host, port))
slow.sendall(request("ListStreams", "{}")[:40])
quick = socket.create_connection((host, port))
quick.settimeout(10)
quick.sendall(request("ListStreams", "{}"))
status, headers, body = read_response(quick)
check(status == 200 and json.loads(body)["StreamNames"] == ["w"], f"list while a client is slow: {status} {body}")
slow.sendall(request("ListStreams", "{}")[40:])
slow.settimeout(10)
status, headers, body = read_response(slow)
check(status == 200, f"the slow client is answered too: {status}")
slow.close()
quick.close()

if failures:
    print("\n".join("FAIL: " + f for f in failures), file=sys.stderr)
    sys.exit(1)
PY
assert_eq "$(kds-get w | wc -l)" "5" "the records put over keep-alive"
# An idle keep-alive connection does not keep the server from stopping.
exec 3<>/dev/tcp/127.0.0.1/"${ENDPOINT##*:}"
stop_server || fail "kds-serve exits 0 on SIGTERM with an idle connection open"
exec 3<&-
pass
