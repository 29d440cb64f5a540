#!/usr/bin/env bash
# Tags and enhanced fan-out consumers through boto3 and the AWS CLI: kept in the store, so they outlive the
# server; a stream with consumers is deleted only when asked to take them along, by the server or the tool.
source "$(dirname "$0")/lib.sh"
start_server
kds-create-stream orders --shard-count 2

"$PYTHON" "$(dirname "$0")/boto3_tags_consumers.py" "$ENDPOINT" || fail "boto3: tags and consumers"

# A new server on the same store finds what the first one kept.
stop_server || fail "kds-serve exits 0 on SIGTERM"
start_server
assert_eq "$(aws_kinesis list-tags-for-stream --stream-name orders --query 'Tags[].Key' --output text)" \
  "env	team" "tags outlive the server"
assert_eq "$(aws_kinesis list-stream-consumers --stream-arn arn:aws:kinesis:us-east-1:000000000000:stream/orders \
  --query 'Consumers[].ConsumerName' --output text)" "billing	reader-0	reader-1" "consumers outlive the server"
grep -q '"team": "data"' "$KDS_STORE/orders.stream/attributes.json" || fail "attributes.json holds the tags"

# The tool refuses as DeleteStream does, and deletes with --enforce-consumer-deletion.
before=$(store_fingerprint)
expect_error 4 "has registered consumers" kds-delete-stream orders
assert_eq "$(store_fingerprint)" "$before" "the refused deletion left the store unchanged"
kds-delete-stream orders --enforce-consumer-deletion || fail "kds-delete-stream --enforce-consumer-deletion"
assert_eq "$(kds-list-streams)" "" "the stream and its consumers are gone"
aws_kinesis create-stream --stream-name orders --shard-count 1 || fail "create again"
assert_eq "$(aws_kinesis list-tags-for-stream --stream-name orders --query 'length(Tags)')" "0" \
  "a stream created again under the name has no tags"
stop_server || fail "kds-serve exits 0 on SIGTERM"
pass
