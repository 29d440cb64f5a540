#!/usr/bin/env bash
# CBOR 1.1 requests, as the Java SDK sends them (cbor_client.py), then the records as the kds tools read them.
source "$(dirname "$0")/lib.sh"
start_server
"$PYTHON" "$(dirname "$0")/cbor_client.py" "$ENDPOINT" || fail "CBOR client"
assert_eq "$(kds-get java -f '%k %S\n' | sort | tr '\n' ,)" "k0 256,k1 0,k2 1000,k3 11,one 2," \
  "kds-get reads every record the CBOR client put, at its size"
stop_server || fail "kds-serve exits 0 on SIGTERM"
pass
