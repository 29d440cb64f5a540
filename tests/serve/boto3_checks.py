"""What the boto3 test programs share: a client for the endpoint, checks that collect failures, the code of
the error a call ends in, and the report at the end."""
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError

failures = []


def client(endpoint, **config):
    return boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="kds-test",
                        aws_secret_access_key="kds-test", config=botocore.config.Config(**config))


def check(condition, what):
    if not condition:
        failures.append(what)


def error_code(call, **arguments):
    """(code, message) of the ClientError `call` raises, or (None, None)."""
    try:
        call(**arguments)
    except ClientError as error:
        return error.response["Error"]["Code"], error.response["Error"]["Message"]
    return None, None


def finish():
    if failures:
        print("\n".join("FAIL: " + f for f in failures), file=sys.stderr)
        sys.exit(1)
    print("ok")
