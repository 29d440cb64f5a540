#!/usr/bin/env bash
# boto3 against kds-serve (boto3_client.py), then the records it wrote as the kds tools read them.
source "$(dirname "$0")/lib.sh"
start_server
"$PYTHON" "$(dirname "$0")/boto3_client.py" "$ENDPOINT" || fail "boto3 client"
assert_eq "$(kds-list-streams)" "orders" "the stream boto3 left"
assert_eq "$(kds-get orders | wc -l)" "520" "kds-get reads every record boto3 put"
stop_server || fail "kds-serve exits 0 on SIGTERM"
pass
