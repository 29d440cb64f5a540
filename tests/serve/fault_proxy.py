#!/usr/bin/env python3
"""A Kinesis endpoint that fails as Amazon Kinesis can: a proxy in front of a kds-serve that does not check
signatures. It answers some PutRecords entries with ProvisionedThroughputExceededException without passing
them on (so nothing it failed is stored), some whole requests with 500 InternalFailure and some GetRecords
with 400 ProvisionedThroughputExceededException; and some PutRecords with 500 InternalFailure after
passing them on, as when an answer is lost after the records were stored. --hang OPERATION never answers
that operation (an endpoint gone silent). Prints "listening on http://127.0.0.1:PORT".

usage: fault_proxy.py UPSTREAM_URL [--fail-entries P] [--fail-requests P] [--throttle-reads P]
                      [--lose-answers P] [--hang OPERATION] [--seed N]
"""
import argparse
import http.client
import json
import random
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

args = None
lock = threading.Lock()
rng = random.Random()
counts = {"entries_failed": 0, "requests_failed": 0, "reads_throttled": 0, "answers_lost": 0, "requests_hung": 0}


def chance(p):
    with lock:
        return rng.random() < p


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def forward(self, body):
        upstream = urllib.parse.urlparse(args.upstream)
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("content-length", "connection")}
        connection.request("POST", "/", body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, data

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        operation = self.headers.get("X-Amz-Target", "").split(".")[-1]
        if operation == args.hang:
            with lock:
                counts["requests_hung"] += 1
            print(f"hung {operation}", file=sys.stderr, flush=True)
            while True:
                time.sleep(60)
        if chance(args.fail_requests):
            with lock:
                counts["requests_failed"] += 1
            return self.answer(500, {"__type": "InternalFailure", "message": "injected by fault_proxy"})
        if operation == "GetRecords" and chance(args.throttle_reads):
            with lock:
                counts["reads_throttled"] += 1
            print("throttled GetRecords", file=sys.stderr, flush=True)
            return self.answer(400, {"__type": "ProvisionedThroughputExceededException",
                                     "message": "Rate exceeded for shard (injected)"})
        if operation != "PutRecords":
            status, data = self.forward(body)
            return self.raw(status, data)
        request = json.loads(body)
        entries = request["Records"]
        failed = [chance(args.fail_entries) for _ in entries]
        passed = [e for e, f in zip(entries, failed) if not f]
        answers = []
        if passed:
            request["Records"] = passed
            status, data = self.forward(json.dumps(request).encode())
            if status != 200:
                return self.raw(status, data)
            answers = json.loads(data)["Records"]
            if chance(args.lose_answers):
                with lock:
                    counts["answers_lost"] += 1
                return self.answer(500, {"__type": "InternalFailure", "message": "answer lost (injected)"})
        merged = []
        for f in failed:
            if f:
                merged.append({"ErrorCode": "ProvisionedThroughputExceededException",
                               "ErrorMessage": "Rate exceeded for shard shardId-000000000000 (injected)"})
            else:
                merged.append(answers.pop(0))
        with lock:
            counts["entries_failed"] += sum(failed)
        self.answer(200, {"FailedRecordCount": sum(failed), "Records": merged, "EncryptionType": "NONE"})

    def raw(self, status, data):
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    global args
    parser = argparse.ArgumentParser()
    parser.add_argument("upstream")
    parser.add_argument("--fail-entries", type=float, default=0)
    parser.add_argument("--fail-requests", type=float, default=0)
    parser.add_argument("--throttle-reads", type=float, default=0)
    parser.add_argument("--lose-answers", type=float, default=0)
    parser.add_argument("--hang", default=None)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    rng.seed(args.seed)

    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    server.daemon_threads = True
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        print(json.dumps(counts), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
