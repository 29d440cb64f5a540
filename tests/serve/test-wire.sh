#!/usr/bin/env bash
# kds-serve's HTTP/1.1 transport with raw sockets: keep-alive, the 413 answered from Content-Length
# before the body is sent, malformed HTTP, a slow client that does not hold up others, an unknown
# operation, and a clean stop on SIGTERM while a client is connected.
source "$(dirname "$0")/lib.sh"
start_server
"$PYTHON" - "$ENDPOINT" <<'PY' || fail "wire checks"
import json, socket, sys, time
host, port = sys.argv[1].removeprefix("http://").rsplit(":", 1)
port = int(port)
failures = []

def check(condition, what):
    if not condition:
        failures.append(what)

def request(operation, body, extra=""):
    body = body.encode() if isinstance(body, str) else body
    return (f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-amz-json-1.1\r\n"
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
