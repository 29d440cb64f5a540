#!/usr/bin/env bash
# Privacy and containment: the store is private whatever the umask, names cannot escape it, and symlinks
# planted inside it are refused, never followed.
source "$(dirname "$0")/lib.sh"

outside=$TEST_DIR/outside
mkdir -p "$outside"
echo "secret outside the store" >"$outside/secret"

# Private whatever the umask, including files made later by put, split, retention and fsck.
(
  umask 000
  kds-create-stream p --shard-count 2 --compression zstd:1
  seq 1 100 | sed 's/^/k&:/' | kds-put p -K :
  kds-split-shard p 0 >/dev/null
  kds-set-retention p 48
  kds-fsck p --repair >/dev/null 2>&1 || true
)
bad=$(find "$KDS_STORE" \( -type d ! -perm 0700 \) -o \( -type f ! -perm 0600 \))
assert_eq "$bad" "" "everything is 0700/0600 under umask 000"

# Names that look like paths stay inside the store.
for name in . .. ... .hidden -dash; do
  kds-create-stream -- "$name" 2>/dev/null || kds-create-stream --stream-name="$name"
  echo "in $name" | kds-put --stream-name="$name"
done
assert_eq "$(find "$TEST_DIR" -maxdepth 1 -newer "$outside/secret" -name '*.stream' | wc -l)" "0" "nothing created beside the store"
assert_eq "$(kds-get --stream-name=..)" "in .." "a stream named .. is an ordinary stream"

# A symlinked shard directory is refused, not followed.
kds-create-stream sym
echo inside | kds-put sym
shard=$KDS_STORE/sym.stream/shardId-000000000000
mv "$shard" "$TEST_DIR/moved-shard"
ln -s "$TEST_DIR/moved-shard" "$shard"
expect_status 1 kds-get sym
grep -qE "Too many levels of symbolic links|Not a directory" "$TEST_DIR/err" || fail "symlinked shard directory: $(cat "$TEST_DIR/err")"
assert_eq "$(cat "$TEST_DIR/out")" "" "nothing read through the symlink"
expect_status 1 sh -c 'echo more | kds-put sym'
rm "$shard" && mv "$TEST_DIR/moved-shard" "$shard"

# A symlinked segment, index, writer.lock or stream.json is refused.
seg=$(ls "$shard"/*.log | head -1)
mv "$seg" "$TEST_DIR/moved.log" && ln -s "$TEST_DIR/moved.log" "$seg"
expect_status 1 kds-get sym
assert_eq "$(cat "$TEST_DIR/out")" "" "nothing read through a symlinked segment"
rm "$seg" && mv "$TEST_DIR/moved.log" "$seg"
mv "$shard/writer.lock" "$TEST_DIR/moved.lock" && ln -s "$outside/secret" "$shard/writer.lock"
expect_status 1 sh -c 'echo more | kds-put sym'
assert_eq "$(cat "$outside/secret")" "secret outside the store" "a symlinked writer.lock is not written through"
rm "$shard/writer.lock" && mv "$TEST_DIR/moved.lock" "$shard/writer.lock"
meta=$KDS_STORE/sym.stream/stream.json
cp "$meta" "$TEST_DIR/stream.json" && rm "$meta" && ln -s "$TEST_DIR/stream.json" "$meta"
expect_status 1 kds-describe-stream sym
rm "$meta" && cp "$TEST_DIR/stream.json" "$meta"
# A stream directory that is a symlink is not a stream.
ln -s "$outside" "$KDS_STORE/evil.stream"
expect_error 3 "Stream evil under account 000000000000 not found." kds-get evil
assert_eq "$(kds-get sym)" "inside" "the stream reads normally again"
pass
