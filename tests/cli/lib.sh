# Shared set-up for CLI tests: a private temporary store, the built tools first on PATH, and checks that
# print what went wrong. Source it; then call `pass` at the end.
set -euo pipefail
KDS_BIN=${KDS_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../build/apps" && pwd)}
export PATH="$KDS_BIN:$PATH"
TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kds-test.XXXXXX")
# Kill whatever a test left running (a follower, a producer), then remove its store.
trap 'pkill -9 -P $$ 2>/dev/null || true; rm -rf "$TEST_DIR"' EXIT
export KDS_STORE="$TEST_DIR/store"
unset XDG_DATA_HOME
# kds-serve's KMS keys (alias/aws/kinesis is made on first use) stay in the test's directory too.
export XDG_CONFIG_HOME="$TEST_DIR/xdg-config"
failures=0

# KDS_TEST_REMOTE=1 (the remote.* tests): the same test with every tool in remote mode, against a kds-serve
# on loopback that serves the test's store, so what the test reads of the store directly still holds.
# Tools without remote mode (kds-fsck, kds-set-compression) run locally on the same store.
REMOTE=false
if [[ ${KDS_TEST_REMOTE:-} == 1 ]]; then
  REMOTE=true
  export AWS_ACCESS_KEY_ID=kds-test AWS_SECRET_ACCESS_KEY=kds-test AWS_REGION=us-east-1
  export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
  mkdir -p "$KDS_STORE"
  # Made here, not by the background job's redirection: the loop below may read it before that job runs.
  : >"$TEST_DIR/kds-serve.out"
  kds-serve --store "$KDS_STORE" --listen 127.0.0.1:0 >"$TEST_DIR/kds-serve.out" 2>"$TEST_DIR/kds-serve.err" &
  disown  # a test's `wait` is for its own jobs; the EXIT trap still kills the server
  for _ in $(seq 1 200); do
    KDS_ENDPOINT=$(sed -n 's/^listening on //p' "$TEST_DIR/kds-serve.out")
    [[ -n $KDS_ENDPOINT ]] && break
    sleep 0.05
  done
  [[ -n $KDS_ENDPOINT ]] || { echo "FAIL: kds-serve did not start: $(cat "$TEST_DIR/kds-serve.err")" >&2; exit 1; }
  export KDS_ENDPOINT
  kds-fsck() { env -u KDS_ENDPOINT kds-fsck "$@"; }
  kds-set-compression() { env -u KDS_ENDPOINT kds-set-compression "$@"; }
fi
# Options of the local store's own (durability, segment size) that tests pass for speed or layout: left
# out in remote mode, where kds-serve's defaults apply.
sync_none=(--sync none)
small_segments=(--segment-size 4K)
if $REMOTE; then sync_none=() small_segments=(); fi

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

pass() {
  if [[ $failures -gt 0 ]]; then
    echo "$failures check(s) failed" >&2
    exit 1
  fi
  echo "ok"
}

# expect_status STATUS CMD...: runs CMD, stdout to $TEST_DIR/out, stderr to $TEST_DIR/err.
expect_status() {
  local want=$1
  shift
  local got=0
  "$@" >"$TEST_DIR/out" 2>"$TEST_DIR/err" || got=$?
  if [[ $got -ne $want ]]; then
    fail "'$*' exited $got, expected $want; stderr: $(head -c 500 "$TEST_DIR/err")"
    return 1
  fi
  return 0
}

# expect_error STATUS PATTERN CMD...: fails with STATUS and exactly one stderr line matching PATTERN.
expect_error() {
  local want=$1 pattern=$2
  shift 2
  expect_status "$want" "$@" || return 0
  local lines
  lines=$(wc -l <"$TEST_DIR/err")
  if ! grep -qE -- "$pattern" "$TEST_DIR/err"; then
    fail "'$*': stderr does not match /$pattern/: $(cat "$TEST_DIR/err")"
  fi
  if [[ $lines -ne 1 ]]; then fail "'$*': expected one error line, got $lines"; fi
  if ! head -1 "$TEST_DIR/err" | grep -qE "^kds(-[a-z-]+)?: "; then
    fail "'$*': error line does not start with the program name: $(head -1 "$TEST_DIR/err")"
  fi
}

assert_eq() {
  if [[ "$1" != "$2" ]]; then fail "${3:-values differ}: got '$1', expected '$2'"; fi
}

assert_files_equal() {
  if ! cmp -s "$1" "$2"; then fail "${3:-files differ}: $1 vs $2 ($(cmp "$1" "$2" 2>&1 | head -1))"; fi
}

# A fingerprint of every file, directory and mode in the store, to prove a command changed nothing.
store_fingerprint() {
  if [[ -d "$KDS_STORE" ]]; then
    (cd "$KDS_STORE" && find . -printf '%p %y %m %s\n' | sort && find . -type f -print0 | sort -z | xargs -0r sha256sum)
  fi
}

# wait_for_lines FILE N: waits (up to 20 s) until FILE has at least N lines, so tests step on progress
# rather than on fixed delays, which break under load or with a slow-starting feeder.
wait_for_lines() {
  local file=$1 want=$2
  for _ in $(seq 1 400); do
    [[ -f "$file" && $(wc -l <"$file") -ge $want ]] && return 0
    sleep 0.05
  done
  fail "$file did not reach $want lines"
  return 1
}

# wait_gone PID SECONDS WHAT: waits up to SECONDS for PID to exit; if it still runs, kills it (-9) and fails
# with "WHAT still runs SECONDS s after ...". Returns 1 when it had to kill.
wait_gone() {
  local pid=$1 seconds=$2 what=$3
  for _ in $(seq 1 $((seconds * 20))); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
  kill -9 "$pid" 2>/dev/null || true
  fail "$what still runs $seconds s after it was told to stop"
  return 1
}

# wait_following PID: waits (up to 20 s) until the kds-tail PID watches with inotify, i.e. has found its
# starting position and follows; then a little longer for it to block. In remote mode, until it has a
# connection to the endpoint, and then long enough for it to take its iterators.
wait_following() {
  local sign=inotify settle=0.1
  if $REMOTE; then sign=socket settle=0.5; fi
  for _ in $(seq 1 400); do
    if ls -l "/proc/$1/fd" 2>/dev/null | grep -q "$sign"; then
      sleep "$settle"
      return 0
    fi
    sleep 0.05
  done
  fail "kds-tail $1 did not start following"
  return 1
}
