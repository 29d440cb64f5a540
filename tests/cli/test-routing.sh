#!/usr/bin/env bash
# MD5 routing of the reference keys (kinesis.md §4), explicit hash keys, and per-key order over 4 shards.
source "$(dirname "$0")/lib.sh"

kds-create-stream four --shard-count 4
# key -> shard index for a fresh 4-shard stream.
declare -A want=([a]=0 [b]=2 [e]=3 [1]=3 [foo]=2 [user-42]=1 [ü]=3)
for key in "${!want[@]}"; do
  got=$(echo "value" | kds-put four -k "$key" --output json | python3 -c 'import json,sys; print(json.load(sys.stdin)["ShardId"])')
  assert_eq "$got" "$(printf 'shardId-%012d' "${want[$key]}")" "routing of key '$key'"
done

# ExplicitHashKey overrides the key's hash: the last key of shard 1 and the first of shard 2.
got=$(echo v | kds-put four -k a --explicit-hash-key 170141183460469231731687303715884105727 --output json)
[[ "$got" == *shardId-000000000001* ]] || fail "explicit hash key 2^127-1 should go to shard 1: $got"
got=$(echo v | kds-put four -k a --explicit-hash-key 170141183460469231731687303715884105728 --output json)
[[ "$got" == *shardId-000000000002* ]] || fail "explicit hash key 2^127 should go to shard 2: $got"

# Per-key order: 200 keys, 50 records each, interleaved, into 4 shards, read back as a whole stream.
kds-create-stream order --shard-count 4
python3 -c '
for i in range(50):
    for k in range(200):
        print(f"key{k}\t{i}")' | kds-put order -K '\t'
kds-get order -f '%k %s %p %o\n' | python3 -c '
import sys, collections, hashlib
last = collections.defaultdict(lambda: -1)
seen = 0
starts = [0, 85070591730234615865843651857942052864, 170141183460469231731687303715884105728, 255211775190703847597530955573826158592]
for line in sys.stdin:
    key, value, shard, seq = line.split()
    h = int.from_bytes(hashlib.md5(key.encode()).digest(), "big")
    expected = max(i for i, s in enumerate(starts) if s <= h)
    assert shard == "shardId-%012d" % expected, (key, shard, expected)
    assert int(value) == last[key] + 1, (key, value, last[key])
    assert int(seq) >> 64 == expected
    last[key] = int(value)
    seen += 1
assert seen == 10000, seen
assert all(v == 49 for v in last.values()) and len(last) == 200
' || fail "per-key order or routing over 4 shards"

# Distinct keys, hashed many at a time, on every MD5 path this CPU has (KDS_MD5_PATH forces one; openssl
# hashes one key at a time): every record lands in the shard of its key's MD5, in input order.
paths="openssl lanes4"
grep -qw avx2 /proc/cpuinfo && paths="$paths avx2"
grep -qw avx512f /proc/cpuinfo && paths="$paths avx512"
for path in $paths; do
  kds-create-stream "distinct-$path" --shard-count 5
  seq 1 30000 | awk '{ printf "req-%d-%s\t%d\n", $1 * 7919, substr("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 1, $1 % 70), $1 }' |
    KDS_MD5_PATH=$path kds-put "distinct-$path" -K '\t' "${sync_none[@]}"
  # Remotely, different keys' records can be stored in another order than put: several PutRecords are in
  # flight at once, and Kinesis orders only each key's records.
  kds-get "distinct-$path" -f '%k %s %p\n' | python3 -c '
import sys, hashlib
in_order = sys.argv[1] == "false"
n = 5
size = (1 << 128) // n
starts = [i * size for i in range(n)]
last = {}
seen = 0
for line in sys.stdin:
    key, value, shard = line.split()
    h = int.from_bytes(hashlib.md5(key.encode()).digest(), "big")
    expected = max(i for i, s in enumerate(starts) if s <= h)
    assert shard == "shardId-%012d" % expected, (key, shard, expected)
    assert not in_order or int(value) > last.get(shard, 0), (shard, value)
    last[shard] = int(value)
    seen += 1
assert seen == 30000, seen
' "$REMOTE" || fail "routing of distinct keys on MD5 path $path"
done

# Sequence numbers are dense per shard and name their shard.
kds-get order --shard-id 2 -f '%o\n' | python3 -c '
import sys
nums = [int(l) for l in sys.stdin]
assert nums == list(range(2 << 64, (2 << 64) + len(nums))), "not dense"
assert len(nums) > 0' || fail "shard 2 sequence numbers are not dense"
pass
