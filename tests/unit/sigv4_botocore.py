#!/usr/bin/env python3
"""Signs generated requests with botocore's SigV4Auth, the independent signer kds's is checked against
(test_remote.cpp). Usage: sigv4_botocore.py COUNT SEED. Prints one JSON object per request: what was
signed (method, path, query, headers as signed, body in base64, credentials, region, service) and the
Authorization header botocore computed."""
import base64
import json
import random
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

UNRESERVED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~"


def word(rng, low, high, alphabet=UNRESERVED):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(low, high)))


def query(rng):
    parts = []
    for _ in range(rng.randint(0, 4)):
        value = word(rng, 0, 8)
        if rng.random() < 0.3:
            value += "%20" + word(rng, 1, 4) + "%2F"
        parts.append(word(rng, 1, 6, "abcdefgXYZ") + "=" + value)
    return "&".join(parts)


def main():
    count, seed = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    for _ in range(count):
        method = rng.choice(["GET", "POST", "PUT", "DELETE"])
        # Segments of dots are left out: botocore removes them before signing, kds signs the path as sent
        # (every Kinesis request goes to "/").
        path = "/" + "/".join(word(rng, 1, 8).replace(".", "_") for _ in range(rng.randint(0, 3)))
        q = query(rng)
        headers = {"Content-Type": rng.choice(["application/x-amz-json-1.1", "application/x-amz-cbor-1.1"])}
        if rng.random() < 0.8:
            headers["X-Amz-Target"] = "Kinesis_20131202." + rng.choice(["PutRecords", "ListStreams", "GetRecords"])
        for n in range(rng.randint(0, 3)):
            # Values with inner runs of spaces and spaces around: the canonical form trims and folds them.
            headers[f"X-Kds-Extra-{n}"] = rng.choice(["", "  "]) + word(rng, 1, 5) + rng.choice([" ", "   "]) + \
                word(rng, 1, 5) + rng.choice(["", " "])
        body = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300)))
        key, secret = "AKID" + word(rng, 4, 12, "ABCDEFGHIJ0123456789"), word(rng, 10, 40) + "/+"
        token = word(rng, 10, 60) if rng.random() < 0.4 else None
        region = rng.choice(["us-east-1", "eu-west-1", "ap-southeast-2"])
        service = rng.choice(["kinesis", "kinesis", "sts"])
        host = rng.choice(["kinesis.us-east-1.amazonaws.com", "127.0.0.1:4567", "localhost:45678"])
        url = f"http://{host}{path}" + (f"?{q}" if q else "")
        request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
        SigV4Auth(Credentials(key, secret, token), service, region).add_auth(request)
        signed = {name.lower(): value for name, value in request.headers.items() if name.lower() != "authorization"}
        signed["host"] = host
        print(json.dumps({
            "method": method, "path": path, "query": q, "headers": sorted(signed.items()),
            "body": base64.b64encode(body).decode(), "key": key, "secret": secret, "token": token or "",
            "region": region, "service": service, "authorization": request.headers["Authorization"],
        }))


if __name__ == "__main__":
    main()
