#!/usr/bin/env bash
# create / list / describe / delete, store location and privacy.
source "$(dirname "$0")/lib.sh"

assert_eq "$(kds-list-streams)" "" "empty store lists nothing"
kds-create-stream beta --shard-count 3
kds-create-stream --stream-name alpha
kds-create-stream .        # valid Kinesis names that look like paths stay inside the store
kds-create-stream ..
assert_eq "$(kds-list-streams | tr '\n' ' ')" ". .. alpha beta " "sorted names"
kds-list-streams --output json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert list(d) == ["StreamNames", "HasMoreStreams", "StreamSummaries"], d
assert d["StreamNames"] == [".", "..", "alpha", "beta"] and d["HasMoreStreams"] is False, d
s = d["StreamSummaries"][3]
assert s["StreamName"] == "beta" and s["StreamStatus"] == "ACTIVE", s
assert s["StreamARN"] == "arn:aws:kinesis:us-east-1:000000000000:stream/beta", s
assert s["StreamModeDetails"] == {"StreamMode": "PROVISIONED"} and s["StreamCreationTimestamp"] > 1.6e9, s' \
  || fail "list-streams json"
echo dot | kds-put ..
assert_eq "$(kds-get ..)" "dot" "stream named .."
[[ -d "$KDS_STORE/...stream" && ! -e "$TEST_DIR/dot" ]] || fail "stream '..' must live inside the store"

kds-describe-stream beta --output json | python3 -c '
import json, sys
d = json.load(sys.stdin)["StreamDescription"]
keys = ["StreamName", "StreamARN", "StreamStatus", "StreamModeDetails", "Shards", "HasMoreShards",
        "RetentionPeriodHours", "StreamCreationTimestamp", "EnhancedMonitoring", "EncryptionType"]
assert list(d) == keys, list(d)
assert d["StreamARN"] == "arn:aws:kinesis:us-east-1:000000000000:stream/beta"
assert d["StreamStatus"] == "ACTIVE" and d["RetentionPeriodHours"] == 24 and d["EncryptionType"] == "NONE"
ranges = [(s["ShardId"], s["HashKeyRange"]["StartingHashKey"], s["HashKeyRange"]["EndingHashKey"]) for s in d["Shards"]]
assert ranges == [
  ("shardId-000000000000", "0", "113427455640312821154458202477256070484"),
  ("shardId-000000000001", "113427455640312821154458202477256070485", "226854911280625642308916404954512140969"),
  ("shardId-000000000002", "226854911280625642308916404954512140970", "340282366920938463463374607431768211455")], ranges
for s in d["Shards"]:
    assert "EndingSequenceNumber" not in s["SequenceNumberRange"]
    assert "ParentShardId" not in s
assert d["Shards"][1]["SequenceNumberRange"]["StartingSequenceNumber"] == str(1 << 64)
' || fail "describe-stream json"
seq 1 5 | kds-put beta -k a
kds-describe-stream beta >"$TEST_DIR/text"
grep -qE '^shardId-000000000000 +open +5 ' "$TEST_DIR/text" || fail "text describe shows 5 records in shard 0: $(cat "$TEST_DIR/text")"
grep -q 'Retention     24 hours' "$TEST_DIR/text" || fail "text describe shows retention"

kds-delete-stream beta
assert_eq "$(kds-list-streams | tr '\n' ' ')" ". .. alpha " "deleted stream gone"
expect_error 3 "Stream beta under account 000000000000 not found." kds-get beta
kds-create-stream beta       # the name can be reused
assert_eq "$(kds-get beta)" "" "a re-created stream starts empty"

# Store location: --store beats KDS_STORE; KDS_STORE beats XDG_DATA_HOME; then $HOME/.local/share/kds.
kds-create-stream other --store "$TEST_DIR/s2"
[[ -d "$TEST_DIR/s2/other.stream" ]] || fail "--store"
(unset KDS_STORE; XDG_DATA_HOME="$TEST_DIR/xdg" kds-create-stream x) && [[ -d "$TEST_DIR/xdg/kds/x.stream" ]] || fail "XDG_DATA_HOME"
(unset KDS_STORE XDG_DATA_HOME; HOME="$TEST_DIR/home" kds-create-stream y) && [[ -d "$TEST_DIR/home/.local/share/kds/y.stream" ]] || fail "HOME"

# Privacy whatever the umask: directories 0700, files 0600.
(umask 000; kds-create-stream priv --store "$TEST_DIR/s3" && echo x | kds-put priv --store "$TEST_DIR/s3")
bad=$(find "$TEST_DIR/s3" \( -type d ! -perm 0700 \) -o \( -type f ! -perm 0600 \))
assert_eq "$bad" "" "permissions under umask 000"

# More streams than one ListStreams page (100): the tool follows NextToken to the end, in order.
for i in $(seq -w 1 130); do kds-create-stream "page$i" --store "$TEST_DIR/pages"; done
assert_eq "$(kds-list-streams --store "$TEST_DIR/pages" | md5sum)" "$(seq -w 1 130 | sed 's/^/page/' | md5sum)" \
  "list-streams past one page"
kds-list-streams --store "$TEST_DIR/pages" --output json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert len(d["StreamNames"]) == 130 and len(d["StreamSummaries"]) == 130 and d["HasMoreStreams"] is False
assert "NextToken" not in d, d.get("NextToken")' || fail "list-streams json past one page"

# 1000 shards are created quickly and all readable.
start=$(date +%s%N)
kds-create-stream wide --shard-count 1000
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "created 1000 shards in ${elapsed_ms} ms" >&2
kds-describe-stream wide --output json | python3 -c '
import json, sys
d = json.load(sys.stdin)["StreamDescription"]
ids = [s["ShardId"] for s in d["Shards"]]
assert ids == ["shardId-%012d" % i for i in range(1000)], ids[:3]
assert d["HasMoreShards"] is False' || fail "describe-stream json lists every page of shards"
seq 1 3000 | sed "s/.*/&:&/" | kds-put wide -K :   # each number is its own key: spread over the shards
assert_eq "$(kds-get wide | sort -n | md5sum)" "$(seq 1 3000 | md5sum)" "1000-shard stream round trip"

# A raised maximum record size: a 2 MiB line less its key goes in and comes back whole; lowered again, new
# records are held to 1 MiB and the stored one stays readable.
kds-create-stream big --max-record-size 2M
kds-describe-stream big | grep -qx 'Max record    2 MiB' || fail "describe-stream shows the maximum record size"
head -c $((2 * 1024 * 1024 - 2)) /dev/zero | tr '\0' b >"$TEST_DIR/big.line"
kds-put big -k k <"$TEST_DIR/big.line" || fail "a 2 MiB record on a stream that takes it"
kds-set-max-record-size big 1M
expect_error 6 "record is longer than the 1048576 byte limit" kds-put big -k k "$TEST_DIR/big.line"
assert_eq "$(kds-get big -f '%S\n')" "2097150" "the 2 MiB record reads back whole"
assert_eq "$(kds-get big -f '%s' | md5sum)" "$(md5sum <"$TEST_DIR/big.line")" "byte for byte"
pass
