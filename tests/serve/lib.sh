# Shared set-up for kds-serve tests: the CLI tests' private store and checks (tests/cli/lib.sh), plus a
# server of one's own on a free loopback port and credentials for the AWS clients. Source it.
source "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.sh"
export AWS_ACCESS_KEY_ID=kds-test AWS_SECRET_ACCESS_KEY=kds-test AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
SERVER_PID=""
ENDPOINT=""

# start_server [ARGS...]: starts kds-serve on 127.0.0.1:0 with ARGS, waits for its "listening on" line
# and sets ENDPOINT and SERVER_PID. The EXIT trap of lib.sh kills it.
start_server() {
  local out="$TEST_DIR/server.out"
  : >"$out"
  kds-serve --listen 127.0.0.1:0 "$@" >"$out" 2>"$TEST_DIR/server.err" &
  SERVER_PID=$!
  for _ in $(seq 1 200); do
    ENDPOINT=$(sed -n 's/^listening on //p' "$out")
    [[ -n "$ENDPOINT" ]] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  fail "kds-serve did not start: $(cat "$TEST_DIR/server.err")"
  exit 1
}

# stop_server: SIGTERM, and the exit status it ended with (0 expected).
stop_server() {
  kill -TERM "$SERVER_PID"
  local status=0
  wait "$SERVER_PID" || status=$?
  SERVER_PID=""
  return $status
}

# Debian's python3, for which scripts/install-deps installs python3-boto3, whatever else is on PATH.
PYTHON=/usr/bin/python3
[[ -x $PYTHON ]] || PYTHON=python3
# Debian's AWS CLI (v2, from scripts/install-deps), not another `aws` earlier on PATH.
AWS_CLI=/usr/bin/aws
[[ -x $AWS_CLI ]] || AWS_CLI=aws
aws_kinesis() {
  "$AWS_CLI" --endpoint-url "$ENDPOINT" --output json kinesis "$@"
}
