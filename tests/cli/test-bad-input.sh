#!/usr/bin/env bash
# Every bad invocation: a one-line error naming the problem, a documented non-zero status, and a store
# left byte-for-byte unchanged.
source "$(dirname "$0")/lib.sh"

kds-create-stream s --shard-count 2
echo first | kds-put s
before=$(store_fingerprint)

# check STATUS PATTERN CMD...: the error, then the store is unchanged.
check() {
  expect_error "$@"
  local after
  after=$(store_fingerprint)
  [[ "$after" == "$before" ]] || fail "'${*:3}' changed the store"
}

long_name=$(printf 'n%.0s' $(seq 1 129))
key257=$(printf 'k%.0s' $(seq 1 257))

check 2 "ValidationException: .*streamName.*regular expression" kds-create-stream 'a/b'
check 2 "ValidationException: .*length less than or equal to 128" kds-create-stream "$long_name"
check 2 "ValidationException" kds-create-stream ''
check 4 "ResourceInUseException: Stream s under account 000000000000 already exists." kds-create-stream s
check 2 "ValidationException: .*shardCount.*greater than or equal to 1" kds-create-stream t --shard-count 0
check 2 "ValidationException: .*shardCount" kds-create-stream t --shard-count -3
check 2 "shard-count" kds-create-stream t --shard-count abc
check 5 "LimitExceededException" kds-create-stream t --shard-count 10001
check 2 "InvalidArgumentException: Minimum allowed retention period is 24 hours" kds-create-stream t --retention-period-hours 23
check 2 "InvalidArgumentException: .*8760" kds-create-stream t --retention-period-hours 8761
check 2 "segment-size" kds-create-stream t --segment-size 12Q
if $REMOTE; then
  check 2 "--segment-size: the local store's segment size" command kds-create-stream t --segment-size 10
else
  check 2 "InvalidArgumentException: Segment size" kds-create-stream t --segment-size 10
fi
check 2 "not expected|--bogus" kds-create-stream t --bogus
check 2 "stream name is required" kds-create-stream
check 2 "--max-record-size: '1000' is not a size in whole KiB" kds-create-stream t --max-record-size 1000
check 2 "ValidationException: .*maxRecordSizeInKiB.*greater than or equal to 1024" kds-create-stream t --max-record-size 512K
check 2 "ValidationException: .*'11264' at 'maxRecordSizeInKiB'.*less than or equal to 10240" kds-set-max-record-size s 11M
check 2 "SIZE: 'big' is not a size in whole KiB" kds-set-max-record-size s big
check 2 "SIZE is required" kds-set-max-record-size s
check 3 "ResourceNotFoundException: Stream nope" kds-set-max-record-size nope 2M

check 3 "ResourceNotFoundException: Stream nope under account 000000000000 not found." kds-get nope
check 3 "ResourceNotFoundException: Stream nope" kds-describe-stream nope
check 3 "ResourceNotFoundException: Stream nope" kds-delete-stream nope
check 2 "ValidationException: .*streamName" kds-get '../etc'
# Remotely the endpoint's GetShardIterator says it its way.
check 3 "ResourceNotFoundException: (Could not find shard|Shard) shardId-000000000099 in stream s" kds-get s --shard-id 99
check 3 "ResourceNotFoundException: Could not find shard xyz" kds-get s --shard-id xyz

check 3 "ResourceNotFoundException: Stream nope" sh -c 'echo x | kds-put nope'
check 6 "stdin: line 1: ValidationException: .*at 'data'.*less than or equal to 1048576" \
  sh -c 'head -c 1048577 /dev/zero | tr "\0" x | kds-put s'
check 6 "stdin: line 2: ValidationException: .*partitionKey.*greater than or equal to 1" \
  sh -c 'printf "a\tx\n\ty\n" | kds-put s -K "\t"'
check 6 "stdin: line 1: no key delimiter" sh -c 'echo novalue | kds-put s -K :'
check 2 "ValidationException: .*partitionKey.*greater than or equal to 1" sh -c 'echo x | kds-put s -k ""'
check 2 "ValidationException: .*partitionKey.*less than or equal to 256" sh -c "echo x | kds-put s -k $key257"
check 2 "InvalidArgumentException: Invalid ExplicitHashKey. ExplicitHashKey must be in the range: \[0, 2\^128-1\]. Specified value was 340282366920938463463374607431768211456" \
  sh -c 'echo x | kds-put s --explicit-hash-key 340282366920938463463374607431768211456'
check 2 "ValidationException: .*explicitHashKey" sh -c 'echo x | kds-put s --explicit-hash-key abc'
check 2 "ValidationException: .*explicitHashKey" sh -c 'echo x | kds-put s --explicit-hash-key -1'
check 1 "cannot open $TEST_DIR/missing: No such file or directory" kds-put s "$TEST_DIR/missing"
check 2 "sync" sh -c 'echo x | kds-put s --sync sometimes'
# A bad line after good ones in a small input stores none of them.
check 6 "line 3: ValidationException" sh -c 'printf "k1:a\nk2:b\n:c\n" | kds-put s -K :'
# kds-put takes records in groups of 64: a bad one inside a later group is still named by its own line.
# The inputs are files, read whole without waiting: kds-put stores what it has read whenever its input
# makes it wait (so a slow pipe's records are not held back), and a pipe that is slow to bring the bad
# line would have the lines before it stored.
seq 1 200 | awk 'NR == 130 { print; next } { print "k" $0 ":v" }' >"$TEST_DIR/no-delimiter"
seq 1 200 | awk 'NR == 65 { print ":v"; next } { print "k" $0 ":v" }' >"$TEST_DIR/empty-key"
seq 1 100 | awk 'NR == 70 { printf "%1100000s\n", "x"; next } { print }' >"$TEST_DIR/too-long"
check 6 "stdin: line 130: no key delimiter" sh -c 'kds-put s -K : <"$1"' sh "$TEST_DIR/no-delimiter"
check 6 "stdin: line 65: ValidationException" sh -c 'kds-put s -K : <"$1"' sh "$TEST_DIR/empty-key"
check 6 "stdin: line 70: ValidationException: record is longer than the 1048576 byte limit" \
  sh -c 'kds-put s <"$1"' sh "$TEST_DIR/too-long"

check 2 "ValidationException: .*[sS]equenceNumber.*regular expression" kds-get s abc
check 2 "ValidationException: .*regular expression" kds-get s 01
check 3 "ResourceNotFoundException: Record with sequence number 5 not found" kds-get s 5
check 2 "InvalidArgumentException: .*(it did not come from this stream|It encodes shardId-000000000100)" \
  kds-get s --sequence-number 1844674407370955161600
check 2 "InvalidArgumentException: StartingSequenceNumber 1 used in GetShardIterator on shard shardId-000000000000 in stream s under account 000000000000 is invalid." \
  kds-get s --sequence-number 1
check 2 "Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber." kds-get s --iterator-type AT_SEQUENCE_NUMBER
check 2 "Request specified LATEST and also a StartingSequenceNumber." kds-get s --iterator-type LATEST --sequence-number 0
check 2 "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP" kds-get s --iterator-type AT_TIMESTAMP
check 2 "ValidationException: .*enum value set" kds-get s --iterator-type SIDEWAYS
check 2 "ValidationException: .*timestamp" kds-get s --timestamp yesterday
check 2 "InvalidArgumentException: The timestampInMillis parameter cannot be greater than the currentTimestampInMillis" \
  kds-get s --timestamp 4102444800
check 2 "ValidationException: .*'limit'.*greater than or equal to 1" kds-get s --limit 0
check 2 "Invalid StartingSequenceNumber. It encodes shardId-000000000000, while it was used in a call to a shard with shardId-000000000001" \
  kds-get s --shard-id 1 --sequence-number 0
check 2 "format: unknown token" kds-get s -f '%q'
check 2 "cannot be combined" kds-get s --output json -f '%s'
check 2 "output" kds-get s --output yaml

assert_eq "$(kds-get s)" "first" "the one good record is still the only one"
pass
