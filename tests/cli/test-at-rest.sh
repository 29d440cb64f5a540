#!/usr/bin/env bash
# Compression and encryption at rest: round trips with each codec and level, mixed streams, no plaintext
# on disk, missing and wrong keys, flipped and tampered encrypted batches, nonce uniqueness.
source "$(dirname "$0")/lib.sh"

lines() { python3 -c 'import sys
for i in range(int(sys.argv[1]), int(sys.argv[2]) + 1):
    print(f"{i % 7}:2026-12-02T10:00:00Z GET /index.html?id={i} HTTP/1.1 200 {i * 37 % 5000} SECRETMARKER")' "$@"; }

# --- each codec and level round-trips, and compresses
for codec in none zstd zstd:1 zstd:19 zstd:-1 zstd:-10; do
  name=c${codec//:/_}
  kds-create-stream "$name" --compression "$codec"
  lines 1 3000 | kds-put "$name" -K :
  assert_files_equal <(kds-get "$name" -f '%k:%s\n' | sort) <(lines 1 3000 | sort) "round trip with $codec"
done
raw=$(du -sb "$KDS_STORE/cnone.stream" | cut -f1)
packed=$(du -sb "$KDS_STORE/czstd.stream" | cut -f1)
(( packed * 3 < raw )) || fail "zstd stores log lines in under a third of their size ($packed of $raw bytes)"
grep -q "Compression   zstd:3" <(kds-describe-stream czstd) || fail "describe shows the codec"
fast=$(du -sb "$KDS_STORE/czstd_-10.stream" | cut -f1)
(( fast * 2 < raw )) || fail "zstd's fastest level kds takes still compresses log lines ($fast of $raw bytes)"
grep -q "Compression   zstd:-10" <(kds-describe-stream czstd_-10) || fail "describe shows a fast level"
grep -q '"Compression": "zstd:-10"' "$KDS_STORE/czstd_-10.stream/stream.json" || fail "stream.json keeps a fast level"
# Levels outside 1..19 and -1..-10 are usage errors that create or change nothing.
for bad in zstd:0 zstd:-0 zstd:20 zstd:-11 zstd:fast; do
  expect_status 2 kds-create-stream "bad$RANDOM" --compression "$bad"
  expect_status 2 kds-set-compression czstd "$bad"
done
grep -q "Compression   zstd:3" <(kds-describe-stream czstd) || fail "a refused codec leaves the stream as it was"
[[ $(kds-list-streams | grep -c '^bad') == 0 ]] || fail "a refused codec creates no stream"

# --- a running kds-put compresses the first batch it starts after kds-set-compression returns
kds-create-stream live
mkfifo "$TEST_DIR/fifo"
kds-put live --output json <"$TEST_DIR/fifo" >"$TEST_DIR/live.acks" &
put_pid=$!
exec 3>"$TEST_DIR/fifo"
echo first >&3
wait_for_lines "$TEST_DIR/live.acks" 1
kds-set-compression live zstd
echo second >&3
wait_for_lines "$TEST_DIR/live.acks" 2
exec 3>&-
wait $put_pid || fail "kds-put across a compression change"
python3 - "$KDS_STORE/live.stream/shardId-000000000000" <<'PY' || fail "codec of each batch around the change"
import glob, struct, sys
codecs = []
for path in sorted(glob.glob(sys.argv[1] + "/*.log")):
    data = open(path, "rb").read()
    pos = 0
    while pos + 48 <= len(data):
        codecs.append(data[pos + 9] & 0x07)
        pos += 48 + struct.unpack_from("<I", data, pos + 12)[0]
assert codecs == [0, 1], codecs
PY
assert_eq "$(kds-get live | tr '\n' ' ')" "first second " "both records read back"

# --- mixed: batches written before and after compression and encryption change read back together
head -c 32 /dev/urandom >"$TEST_DIR/key" && chmod 600 "$TEST_DIR/key"
head -c 32 /dev/urandom >"$TEST_DIR/key2" && chmod 600 "$TEST_DIR/key2"
kds-create-stream mixed
lines 1 100 | kds-put mixed -K :
kds-set-compression mixed zstd:5
lines 101 200 | kds-put mixed -K :
kds-start-stream-encryption mixed --encryption-key-file "$TEST_DIR/key"
lines 201 300 | kds-put mixed -K : --encryption-key-file "$TEST_DIR/key"
kds-set-compression mixed none
lines 301 400 | kds-put mixed -K : --encryption-key-file "$TEST_DIR/key"
kds-start-stream-encryption mixed --encryption-key-file "$TEST_DIR/key2"   # a new key
lines 401 500 | KDS_ENCRYPTION_KEY_FILE=$TEST_DIR/key2 kds-put mixed -K :
kds-stop-stream-encryption mixed
lines 501 600 | kds-put mixed -K :
assert_files_equal <(kds-get mixed -f '%k:%s\n' --encryption-key-file "$TEST_DIR/key" \
                       --encryption-key-file "$TEST_DIR/key2" | sort) <(lines 1 600 | sort) "mixed stream"
kds-get mixed --output json --encryption-key-file "$TEST_DIR/key" --encryption-key-file "$TEST_DIR/key2" |
  python3 -c '
import json, sys
kinds = [json.loads(l)["EncryptionType"] for l in sys.stdin]
assert kinds.count("KMS") == 300 and kinds.count("NONE") == 300, (kinds.count("KMS"), kinds.count("NONE"))
' || fail "EncryptionType per record"

# --- no plaintext on disk for an encrypted stream
kds-create-stream secret --shard-count 2 --encryption-key-file "$TEST_DIR/key"
lines 1 2000 | kds-put secret -K : --encryption-key-file "$TEST_DIR/key"
if grep -rqa SECRETMARKER "$KDS_STORE/secret.stream"; then fail "plaintext found on disk"; fi
grep -rqa SECRETMARKER "$KDS_STORE/cnone.stream" || fail "the marker is findable when not encrypted"
kds-describe-stream secret >"$TEST_DIR/describe"
grep -q "^Encryption    KMS (AES-256-GCM, key fingerprint [0-9a-f]\{32\})" "$TEST_DIR/describe" ||
  fail "describe shows the encryption: $(grep Encryption "$TEST_DIR/describe")"

# --- missing and wrong keys: one line, status 2, nothing of the data printed
expect_error 2 "encrypted with the key whose fingerprint is" kds-get secret
assert_eq "$(cat "$TEST_DIR/out")" "" "nothing printed without the key"
expect_error 2 "encrypted with the key whose fingerprint is" kds-get secret --encryption-key-file "$TEST_DIR/key2"
expect_error 2 "encrypted with the key whose fingerprint is" kds-tail secret --encryption-key-file "$TEST_DIR/key2"
echo x | expect_error 2 "encrypted with the key whose fingerprint is" kds-put secret
head -c 31 /dev/urandom >"$TEST_DIR/short" && chmod 600 "$TEST_DIR/short"
expect_error 2 "exactly 32 bytes" kds-get secret --encryption-key-file "$TEST_DIR/short"
chmod 644 "$TEST_DIR/key2"
expect_error 2 "key2" kds-get secret --encryption-key-file "$TEST_DIR/key2"
chmod 600 "$TEST_DIR/key2"
# A stale $KDS_ENCRYPTION_KEY_FILE does not get in the way of an unencrypted stream.
KDS_ENCRYPTION_KEY_FILE=/nonexistent expect_status 0 kds-get cnone --limit 1

# --- nonces are unique across batches, processes and shards
for i in $(seq 1 20); do lines $((i * 10)) $((i * 10 + 9)) | kds-put secret -K : --encryption-key-file "$TEST_DIR/key"; done
python3 - "$KDS_STORE/secret.stream" <<'PY' || fail "nonce reuse"
import glob, struct, sys
nonces = []
for path in glob.glob(sys.argv[1] + "/shardId-*/*.log"):
    data = open(path, "rb").read()
    pos = 0
    while pos + 48 <= len(data):
        size = struct.unpack_from("<I", data, pos + 12)[0]
        if data[pos + 9] & 0x08:
            nonces.append(data[pos + 48 + 8:pos + 48 + 20])
        pos += 48 + size
assert len(nonces) >= 22, len(nonces)
assert len(set(nonces)) == len(nonces), "a nonce was used twice"
PY

# --- a flipped byte in an encrypted batch is damage; a batch altered with its CRC recomputed fails
# authentication: readers skip it, kds-fsck with the key names it
seg=$(ls "$KDS_STORE/secret.stream/shardId-000000000000"/*.log | head -1)
cp "$seg" "$TEST_DIR/seg.orig"
printf '\x5a' | dd of="$seg" bs=1 seek=200 conv=notrunc status=none
expect_status 7 kds-get secret --encryption-key-file "$TEST_DIR/key"
if grep -q SECRETMARKER "$TEST_DIR/err"; then fail "damage report leaks data"; fi
cp "$TEST_DIR/seg.orig" "$seg"
python3 - "$seg" <<'PY'
import struct, sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
size = struct.unpack_from("<I", data, 12)[0]
data[48 + 30] ^= 0x01  # a ciphertext byte of the first batch

def crc32c(buf, crc=0):
    crc ^= 0xFFFFFFFF
    for b in buf:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF

crc = crc32c(bytes(data[8:48]), crc32c(bytes(data[48:48 + size])))
masked = (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF
struct.pack_into("<I", data, 4, masked)
open(path, "wb").write(data)
PY
expect_status 0 kds-fsck secret   # the checksum holds: without the key nothing is wrong to see
expect_status 7 kds-fsck secret --encryption-key-file "$TEST_DIR/key"
grep -q "encrypted batch fails authentication (altered)" "$TEST_DIR/out" || fail "fsck names it: $(cat "$TEST_DIR/out")"
expect_status 7 kds-get secret --encryption-key-file "$TEST_DIR/key"
grep -q "encrypted batch fails authentication (altered)" "$TEST_DIR/err" || fail "kds-get reports it: $(cat "$TEST_DIR/err")"
pass
