#!/usr/bin/env bash
# Remote mode (--endpoint) of kds-create-stream, kds-delete-stream, kds-list-streams and kds-describe-stream:
# against a kds-serve that verifies signatures (the AWS CLI sees what the tools made) and against kinesalite,
# a server no one here wrote (its streams take time to become ACTIVE and to go: the tools wait). Each mistake
# gets one line and its documented status, the endpoint is left unchanged, and the local store is never made.
source "$(dirname "$0")/lib.sh"
eval "expect_error_of_lib() $(declare -f expect_error | tail -n +2)"
creds="$TEST_DIR/credentials"
cat >"$creds" <<'CREDS'
[default]
aws_access_key_id = AKIDREMOTE
aws_secret_access_key = remote/secret+key

[temporary]
aws_access_key_id = ASIAREMOTE
aws_secret_access_key = temp-secret
aws_session_token = session-token-1
CREDS
cat >"$TEST_DIR/config" <<CONFIG
[profile from-process]
region = us-east-1
credential_process = printf '{"Version": 1, "AccessKeyId": "ASIAREMOTE", "SecretAccessKey": "temp-secret", "SessionToken": "session-token-1"}'
CONFIG

start_server --store "$TEST_DIR/served" --credentials "$creds"
# The tools find the keys as the AWS CLI would: the default profile of the credentials file.
export AWS_SHARED_CREDENTIALS_FILE=$creds AWS_CONFIG_FILE=$TEST_DIR/config
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
aws_as_default() {
  AWS_ACCESS_KEY_ID=AKIDREMOTE AWS_SECRET_ACCESS_KEY=remote/secret+key aws_kinesis "$@"
}
remote=(--endpoint "$ENDPOINT")

kds-create-stream "${remote[@]}" orders --shard-count 3 || fail "create-stream --endpoint"
kds-create-stream "${remote[@]}" events --retention-period-hours 48 --max-record-size 2M ||
  fail "create-stream --endpoint with a retention period and a record size"
# The server's store, read by a local tool at the same time.
kds-describe-stream --store "$TEST_DIR/served" events >"$TEST_DIR/text" || fail "local describe of events"
grep -q "^Retention     48 hours$" "$TEST_DIR/text" || fail "retention set remotely: $(cat "$TEST_DIR/text")"
grep -q "^Max record    2 MiB$" "$TEST_DIR/text" || fail "record size set remotely: $(cat "$TEST_DIR/text")"
# UpdateMaxRecordSize names the stream by its ARN: the tool looks it up.
kds-set-max-record-size "${remote[@]}" events 3M || fail "set-max-record-size --endpoint"
kds-describe-stream --store "$TEST_DIR/served" events >"$TEST_DIR/text" || fail "local describe of events"
grep -q "^Max record    3 MiB$" "$TEST_DIR/text" || fail "record size changed remotely: $(cat "$TEST_DIR/text")"
expect_error 2 "^kds-set-max-record-size: ValidationException: .*less than or equal to 10240$" \
  kds-set-max-record-size "${remote[@]}" events 11M
expect_error 3 "^kds-set-max-record-size: ResourceNotFoundException: Stream nosuch under account 000000000000 not found\.$" \
  kds-set-max-record-size "${remote[@]}" nosuch 2M

assert_eq "$(kds-list-streams "${remote[@]}" | tr '\n' ' ')" "events orders " "list-streams --endpoint"
kds-list-streams "${remote[@]}" --output json >"$TEST_DIR/mine.json" || fail "list-streams --output json"
aws_as_default list-streams >"$TEST_DIR/theirs.json" || fail "aws list-streams"
# The AWS CLI prints timestamps as text and leaves out members its older model lacks: compare the rest.
"$PYTHON" - "$TEST_DIR/mine.json" "$TEST_DIR/theirs.json" <<'PY' || fail "list-streams JSON as the AWS CLI's"
import json, sys
mine, theirs = (json.load(open(p)) for p in sys.argv[1:])
assert mine["StreamNames"] == theirs["StreamNames"] == ["events", "orders"], (mine, theirs)
assert mine["HasMoreStreams"] is False
assert [s["StreamARN"] for s in mine["StreamSummaries"]] == [s["StreamARN"] for s in theirs["StreamSummaries"]]
PY

# describe-stream: DescribeStream's answer with the endpoint beside it, and the text form.
kds-describe-stream "${remote[@]}" orders --output json >"$TEST_DIR/mine.json" || fail "describe --output json"
aws_as_default describe-stream --stream-name orders >"$TEST_DIR/theirs.json" || fail "aws describe-stream"
"$PYTHON" - "$TEST_DIR/mine.json" "$TEST_DIR/theirs.json" "$ENDPOINT" <<'PY' || fail "describe JSON"
import json, sys
mine, theirs = (json.load(open(p)) for p in sys.argv[1:3])
assert mine.pop("Endpoint") == sys.argv[3]
m, t = mine["StreamDescription"], theirs["StreamDescription"]
for member in ("StreamName", "StreamARN", "StreamStatus", "Shards", "RetentionPeriodHours", "EncryptionType"):
    assert m[member] == t[member], (member, m, t)
assert m["HasMoreShards"] is False and len(m["Shards"]) == 3
PY
kds-describe-stream "${remote[@]}" orders >"$TEST_DIR/text" || fail "describe text"
grep -q "^Endpoint      $ENDPOINT$" "$TEST_DIR/text" || fail "describe names the endpoint: $(cat "$TEST_DIR/text")"
grep -q "^Shards        3 open, 0 closed$" "$TEST_DIR/text" || fail "describe counts shards: $(cat "$TEST_DIR/text")"
grep -q "^shardId-000000000002  226854911280625642308916404954512140970  340282366920938463463374607431768211455" \
  "$TEST_DIR/text" || fail "describe shows the ranges: $(cat "$TEST_DIR/text")"

# Other ways to the same credentials and endpoint: KDS_ENDPOINT, a profile with a session token (--profile
# passes over the environment's keys), a credential_process.
assert_eq "$(KDS_ENDPOINT=$ENDPOINT kds-list-streams | wc -l)" "2" "KDS_ENDPOINT"
expect_error 2 "^kds-set-compression: KDS_ENDPOINT is set, but kds-set-compression works on a local store only \(it has no remote mode\); unset KDS_ENDPOINT to run it$" \
  env KDS_ENDPOINT="$ENDPOINT" kds-set-compression events zstd
assert_eq "$(AWS_ACCESS_KEY_ID=bad AWS_SECRET_ACCESS_KEY=bad kds-list-streams "${remote[@]}" --profile temporary |
  wc -l)" "2" "--profile with a session token"
assert_eq "$(AWS_PROFILE=from-process kds-list-streams "${remote[@]}" | wc -l)" "2" "credential_process"
[[ ! -e $KDS_STORE ]] || fail "remote mode made the local store"

# Mistakes: one line each, the documented status, nothing changed; every error line is kept to look for
# secrets in.
before=$(aws_as_default list-streams)
expect_error() {
  local status=0
  expect_error_of_lib "$@" || status=$?
  cat "$TEST_DIR/err" >>"$TEST_DIR/all-errors"
  return $status
}
expect_error 3 "^kds-describe-stream: ResourceNotFoundException: Stream nope under account 000000000000 not found\.$" \
  kds-describe-stream "${remote[@]}" nope
expect_error 4 "^kds-create-stream: ResourceInUseException: Stream orders under account 000000000000 already exists\.$" \
  kds-create-stream "${remote[@]}" orders
expect_error 2 "^kds-create-stream: InvalidArgumentException: StreamMode ON_DEMAND is not supported" \
  kds-create-stream "${remote[@]}" ondemand --mode on-demand
expect_error 2 "^kds-create-stream: --compression: the local store's compression, which a Kinesis endpoint has no operation for; leave it out with --endpoint" \
  kds-create-stream "${remote[@]}" new --compression zstd
expect_error 2 "^kds-create-stream: --max-bytes: a size cap of the local store, which a Kinesis endpoint" \
  kds-create-stream "${remote[@]}" new --max-bytes 10M
expect_error 8 "^kds-list-streams: InvalidSignatureException: The request signature we calculated does not match" \
  env AWS_ACCESS_KEY_ID=AKIDREMOTE AWS_SECRET_ACCESS_KEY=not-the-secret kds-list-streams "${remote[@]}"
expect_error 8 "^kds-list-streams: UnrecognizedClientException: The security token included in the request is invalid\.$" \
  env AWS_ACCESS_KEY_ID=AKIDUNKNOWN AWS_SECRET_ACCESS_KEY=x kds-list-streams "${remote[@]}"
expect_error 8 "^kds-list-streams: InvalidSignatureException: Credential should be scoped to a valid region" \
  kds-list-streams "${remote[@]}" --region eu-west-1
expect_error 8 "^kds-list-streams: NoCredentials: no AWS credentials found; looked in AWS_ACCESS_KEY_ID, $TEST_DIR/absent \[default\], $TEST_DIR/absent \[profile default\] \(keys or credential_process\)$" \
  env AWS_SHARED_CREDENTIALS_FILE="$TEST_DIR/absent" AWS_CONFIG_FILE="$TEST_DIR/absent" kds-list-streams "${remote[@]}"
expect_error 2 "^kds-list-streams: InvalidArgumentException: profile 'nope' is in neither $TEST_DIR/config nor $creds$" \
  kds-list-streams "${remote[@]}" --profile nope
expect_error 9 "^kds-list-streams: ServiceUnavailable: http://127\.0\.0\.1:1: .*(onnect|refused)" \
  kds-list-streams --endpoint http://127.0.0.1:1
expect_error 2 "^kds-list-streams: InvalidArgumentException: --endpoint: 'ftp://h' is neither aws nor an http:// or https:// URL$" \
  kds-list-streams --endpoint ftp://h
expect_error 2 "^kds-list-streams: --region needs --endpoint \(or KDS_ENDPOINT\)" kds-list-streams --region eu-west-1
expect_error 2 "^kds-list-streams: InvalidArgumentException: --endpoint aws needs a region" \
  env -u AWS_REGION -u AWS_DEFAULT_REGION kds-list-streams --endpoint aws
assert_eq "$(aws_as_default list-streams)" "$before" "a refused command changed the endpoint's streams"
[[ $(wc -l <"$TEST_DIR/all-errors") -ge 14 ]] || fail "the error lines were not all kept: $(wc -l <"$TEST_DIR/all-errors")"
if grep -q -e "remote/secret+key" -e "temp-secret" -e "not-the-secret" "$TEST_DIR/all-errors"; then
  fail "a secret in an error: $(cat "$TEST_DIR/all-errors")"
fi
[[ ! -e $KDS_STORE ]] || fail "remote mode made the local store"

# Resharding, retention and encryption, each answered once the stream is ACTIVE again.
kds-split-shard "${remote[@]}" orders 0 >"$TEST_DIR/children" || fail "split-shard --endpoint"
aws_as_default describe-stream --stream-name orders >"$TEST_DIR/theirs.json"
"$PYTHON" - "$TEST_DIR/theirs.json" "$TEST_DIR/children" <<'PY' || fail "split-shard printed the children"
import json, sys
shards = json.load(open(sys.argv[1]))["StreamDescription"]["Shards"]
children = [s["ShardId"] for s in shards if s.get("ParentShardId") == "shardId-000000000000"]
assert len(children) == 2 and open(sys.argv[2]).read().split() == children, (children, open(sys.argv[2]).read())
lower = next(s for s in shards if s["ShardId"] == children[0])
# The midpoint of shard 0's range, as the local tool splits by default.
assert int(lower["HashKeyRange"]["EndingHashKey"]) == 113427455640312821154458202477256070484 // 2 - 1, lower
PY
read -r lower upper <<<"$(tr '\n' ' ' <"$TEST_DIR/children")"
kds-merge-shards "${remote[@]}" orders "$lower" "$upper" --output json >"$TEST_DIR/merged.json" ||
  fail "merge-shards --endpoint"
"$PYTHON" - "$TEST_DIR/merged.json" "$lower" "$upper" <<'PY' || fail "merge-shards printed the child"
import json, sys
child, = json.load(open(sys.argv[1]))["ChildShards"]
assert child["ParentShards"] == sys.argv[2:] and child["HashKeyRange"]["StartingHashKey"] == "0", child
PY
assert_eq "$(kds-update-shard-count "${remote[@]}" orders 2 | wc -l)" "2" "update-shard-count --endpoint"
grep -q "^Shards        2 open, " <(kds-describe-stream "${remote[@]}" orders) || fail "two open shards after update"
kds-set-retention "${remote[@]}" events 72 && kds-set-retention "${remote[@]}" orders 24 ||
  fail "set-retention --endpoint"
grep -q "^Retention     72 hours$" <(kds-describe-stream "${remote[@]}" events) || fail "retention raised remotely"
kds-set-retention "${remote[@]}" events 30 || fail "set-retention --endpoint, lower"
grep -q "^Retention     30 hours$" <(kds-describe-stream "${remote[@]}" events) || fail "retention lowered remotely"
expect_error 2 "^kds-set-retention: --max-bytes: a size cap of the local store, which a Kinesis endpoint" \
  kds-set-retention "${remote[@]}" events 48 --max-bytes 1G
# kds-serve's KeyIds name key files of its KMS key directory ($XDG_CONFIG_HOME/kds/kms, lib.sh): the default
# alias/aws/kinesis is made there on first use, the server writes with it at once (also the producer it kept
# from a put before), and a tool reads what the server encrypted with that file.
kms="$XDG_CONFIG_HOME/kds/kms"
echo plain | kds-put "${remote[@]}" events || fail "put before encryption"
kds-start-stream-encryption "${remote[@]}" events || fail "start-stream-encryption --endpoint"
[[ $(stat -c %a "$kms/alias/aws/kinesis") == 600 && $(stat -c %s "$kms/alias/aws/kinesis") == 32 ]] ||
  fail "alias/aws/kinesis is a private key file: $(ls -l "$kms/alias/aws" 2>&1)"
grep -q "^Encryption    KMS (key alias/aws/kinesis)$" <(kds-describe-stream "${remote[@]}" events) ||
  fail "encryption started remotely: $(kds-describe-stream "${remote[@]}" events)"
echo sealed | kds-put "${remote[@]}" events || fail "put after encryption"
kds-get --store "$TEST_DIR/served" events --encryption-key-file "$kms/alias/aws/kinesis" --output json |
  "$PYTHON" -c '
import json, sys
got = [(r["Data"], r["EncryptionType"]) for r in map(json.loads, sys.stdin)]
assert got == [("cGxhaW4=", "NONE"), ("c2VhbGVk", "KMS")], got' || fail "the key file reads what the server encrypted"
assert_eq "$(kds-get "${remote[@]}" events | tr '\n' ' ')" "plain sealed " "the server reads what it encrypted"
# A key the user made, named by its alias ARN; then back to none.
mkdir -p "$kms/alias/team" && (umask 077 && head -c 32 /dev/urandom >"$kms/alias/team/events")
kds-start-stream-encryption "${remote[@]}" events --key-id "arn:aws:kms:us-east-1:000000000000:alias/team/events" ||
  fail "start-stream-encryption with a key the user made"
grep -q "^Encryption    KMS (key alias/team/events)$" <(kds-describe-stream "${remote[@]}" events) ||
  fail "the user's key named: $(kds-describe-stream "${remote[@]}" events)"
echo again | kds-put "${remote[@]}" events || fail "put under the user's key"
kds-stop-stream-encryption "${remote[@]}" events || fail "stop-stream-encryption --endpoint"
grep -q "^Encryption    NONE$" <(kds-describe-stream "${remote[@]}" events) || fail "encryption stopped remotely"
expect_error 2 "^kds-start-stream-encryption: --key-id names a KMS key of a Kinesis endpoint" \
  kds-start-stream-encryption --store "$TEST_DIR/served" events --key-id alias/aws/kinesis
expect_error 2 "^kds-start-stream-encryption: KMSNotFoundException: KeyId alias/nope names no key file of this server: there is no $kms/alias/nope$" \
  kds-start-stream-encryption "${remote[@]}" events --key-id alias/nope
expect_error 2 "^kds-start-stream-encryption: KMSNotFoundException: KeyId $TEST_DIR/key is not a KMS key id, key ARN, alias name or alias ARN$" \
  kds-start-stream-encryption "${remote[@]}" events --key-id "$TEST_DIR/key"
expect_error 3 "^kds-split-shard: ResourceNotFoundException: Could not find shard shardId-000000000099 in stream orders under account 000000000000\.$" \
  kds-split-shard "${remote[@]}" orders shardId-000000000099

kds-delete-stream "${remote[@]}" orders || fail "delete-stream --endpoint"
expect_error 3 "ResourceNotFoundException" kds-delete-stream "${remote[@]}" orders
assert_eq "$(kds-list-streams "${remote[@]}")" "events" "after delete-stream --endpoint"
stop_server || fail "kds-serve did not stop cleanly"
# Restarted, the server has its KMS keys again: what it encrypted reads back.
start_server --store "$TEST_DIR/served" --credentials "$creds"
assert_eq "$(kds-get --endpoint "$ENDPOINT" events | tr '\n' ' ')" "plain sealed again " "read after a restart"
stop_server || fail "kds-serve did not stop cleanly after the restart"
# A key file others may read stops it from starting, saying which.
chmod 644 "$kms/alias/team/events"
expect_error 2 "^kds-serve: InvalidArgumentException: key file $kms/alias/team/events can be read or written by others" \
  kds-serve --store "$TEST_DIR/served" --listen 127.0.0.1:0

# kinesalite: a stream is CREATING for a while and DELETING for a while; the tools wait as the AWS CLI's
# waiters do, or return at once with --no-wait.
port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Creating takes 2 s, long enough to see CREATING after --no-wait however busy the machine is.
kinesalite="$KDS_SOURCE/tests/serve/js/node_modules/kinesalite/cli.js"
[[ -f $kinesalite ]] || { fail "kinesalite is not installed: run scripts/install-deps"; exit 1; }
node "$kinesalite" --port "$port" --createStreamMs 2000 \
  --deleteStreamMs 400 --updateStreamMs 400 >"$TEST_DIR/kinesalite.out" 2>&1 &
kinesalite_pid=$!
for _ in $(seq 1 200); do
  grep -q "Listening" "$TEST_DIR/kinesalite.out" && break
  sleep 0.05
done
grep -q "Listening" "$TEST_DIR/kinesalite.out" || { fail "kinesalite did not start: $(cat "$TEST_DIR/kinesalite.out")"; exit 1; }
other=(--endpoint "http://127.0.0.1:$port")
export AWS_ACCESS_KEY_ID=any AWS_SECRET_ACCESS_KEY=any
kds-create-stream "${other[@]}" smoke --shard-count 2 --retention-period-hours 36 || fail "create on kinesalite"
kds-describe-stream "${other[@]}" smoke >"$TEST_DIR/text" || fail "describe on kinesalite"
grep -q "^Status        ACTIVE$" "$TEST_DIR/text" || fail "create-stream returned before ACTIVE: $(cat "$TEST_DIR/text")"
grep -q "^Retention     36 hours$" "$TEST_DIR/text" || fail "retention on kinesalite: $(cat "$TEST_DIR/text")"
grep -q "^Shards        2 open, 0 closed$" "$TEST_DIR/text" || fail "shards on kinesalite: $(cat "$TEST_DIR/text")"
kds-create-stream "${other[@]}" quick --no-wait || fail "create --no-wait on kinesalite"
assert_eq "$(kds-describe-stream "${other[@]}" quick | sed -n 's/^Status *//p')" "CREATING" "--no-wait returns at once"
assert_eq "$(kds-list-streams "${other[@]}" | tr '\n' ' ')" "quick smoke " "list-streams on kinesalite"
kds-split-shard "${other[@]}" smoke 1 >"$TEST_DIR/children" || fail "split-shard on kinesalite"
assert_eq "$(tr '\n' ' ' <"$TEST_DIR/children")" "shardId-000000000002 shardId-000000000003 " "split on kinesalite"
grep -q "^Status        ACTIVE$" <(kds-describe-stream "${other[@]}" smoke) || fail "split returned before ACTIVE"
# Records on kinesalite: its own sequence numbers and shard ids; the children of the split read after
# their parent.
awk 'BEGIN { for (i = 1; i <= 400; i++) print "k" (i % 9) "," i }' >"$TEST_DIR/in"
kds-put "${other[@]}" -K , --output json smoke <"$TEST_DIR/in" >"$TEST_DIR/acks" || fail "kds-put on kinesalite"
assert_eq "$(wc -l <"$TEST_DIR/acks")" "400" "kinesalite acknowledged every record"
kds-get "${other[@]}" smoke -f '%k,%s\n' >"$TEST_DIR/read" || fail "kds-get on kinesalite"
# same_per_key INPUT READ: the same records, each key's in input order.
cat >"$TEST_DIR/order.py" <<'PY'
import collections, sys
def by_key(path):
    groups = collections.defaultdict(list)
    for line in open(path).read().splitlines():
        key, data = line.split(",", 1)
        groups[key].append(data)
    return groups
assert by_key(sys.argv[1]) == by_key(sys.argv[2])
PY
same_per_key() { "$PYTHON" "$TEST_DIR/order.py" "$@"; }
same_per_key "$TEST_DIR/in" "$TEST_DIR/read" || fail "kinesalite: per-key order"
# Records put before a split: kinesalite never ends the closed parent's iterators; its children are read
# after it all the same.
kds-split-shard "${other[@]}" smoke 0 >/dev/null || fail "second split on kinesalite"
awk 'BEGIN { for (i = 401; i <= 500; i++) print "k" (i % 9) "," i }' >>"$TEST_DIR/in"
tail -n 100 "$TEST_DIR/in" | kds-put "${other[@]}" -K , smoke || fail "kds-put after the split on kinesalite"
kds-get "${other[@]}" smoke -f '%k,%s\n' >"$TEST_DIR/read" || fail "kds-get on kinesalite after the split"
same_per_key "$TEST_DIR/in" "$TEST_DIR/read" || fail "kinesalite: per-key order across a split"
number=$(kds-get "${other[@]}" smoke --limit 1 -f '%o')
assert_eq "$(kds-get "${other[@]}" smoke "$number" -f '%o')" "$number" "kds-get NUMBER on kinesalite"
# kinesalite never answers an AT_TIMESTAMP iterator, which kds-tail -n N starts with: read from record 1.
assert_eq "$(kds-tail "${other[@]}" smoke -n +1 --count 500 | wc -l)" "500" "kds-tail on kinesalite"
kds-delete-stream "${other[@]}" smoke || fail "delete on kinesalite"
expect_error 3 "^kds-describe-stream: ResourceNotFoundException: Stream smoke under account 000000000000 not found\.$" \
  kds-describe-stream "${other[@]}" smoke
expect_error 4 "^kds-create-stream: ResourceInUseException: " kds-create-stream "${other[@]}" quick
[[ ! -e $KDS_STORE ]] || fail "remote mode made the local store"
kill "$kinesalite_pid" && wait "$kinesalite_pid" 2>/dev/null || true
pass
