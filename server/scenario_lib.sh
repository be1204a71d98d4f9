# The harness of the curl scenarios (sourced by scenario.sh and scenario_2002.sh): a temporary
# folder removed at the end with the server, the server built and started on a free port,
# `call` (a curl whose status and error body are checked) and `expect_json` (a check of the last
# body and headers). The database is a fresh SQLite file in that folder, unless SCENARIO_DB
# names a PostgreSQL database.

work=$(mktemp -d "${TMPDIR:-/tmp}/onezone-scenario.XXXXXX")
server_pid=""
passed=0

cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  if [[ -s "$work/server.err" ]]; then
    echo "--- last lines of the server log:" >&2
    tail -n 20 "$work/server.err" >&2
  fi
  exit 1
}

ok() {
  passed=$((passed + 1))
  echo "ok $passed - $*"
}

# --- build ------------------------------------------------------------------------------------
echo "building the server and the token CLI (debug)..."
cargo build --quiet -p onezone-server
cargo build --quiet --example token
target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
server_bin="$target_dir/debug/onezone-server"
[[ -x "$server_bin" ]] || fail "no server binary at $server_bin"

db="${SCENARIO_DB:-$work/onezone.db}"
postgres=false
[[ "$db" == postgres://* || "$db" == postgresql://* ]] && postgres=true

# Starts the server on a free port; sets $server_pid and $base.
start_server() {
  : >"$work/server.out"
  "$server_bin" --db "$db" --port 0 --master-key "$work/master.key" "$@" \
    >"$work/server.out" 2>>"$work/server.err" &
  server_pid=$!
  local line=""
  for _ in $(seq 1 600); do
    line=$(head -n 1 "$work/server.out" 2>/dev/null || true)
    [[ "$line" == "listening on http://127.0.0.1:"* ]] && break
    kill -0 "$server_pid" 2>/dev/null || fail "the server exited at start-up"
    sleep 0.1
  done
  [[ "$line" == "listening on http://127.0.0.1:"* ]] ||
    fail "the server printed no 'listening on http://127.0.0.1:PORT' line (got: '$line')"
  base="${line#listening on }/api/v3/onezone"
}

# call EXPECTED_STATUS DESCRIPTION CURL_ARGS...: runs curl, leaves the body in $body and fails
# unless the status is the expected one (and, for errors, the body is Onezone's error body:
# {"error": "..."} (17.06), or with error_shape=2002 {"error": {"id", "description", ..}}).
call() {
  local expected=$1 what=$2
  shift 2
  local status
  status=$(curl -sS -o "$work/body" -w '%{http_code}' "$@") || fail "$what: curl failed"
  body=$(cat "$work/body")
  if [[ "$status" != "$expected" ]]; then
    fail "$what
  request:  curl $*
  expected: $expected
  got:      $status $body"
  fi
  if [[ "$expected" -ge 400 && "${error_shape:-1706}" == 1706 ]]; then
    python3 -c '
import json, sys
b = json.loads(sys.argv[1])
assert isinstance(b, dict) and list(b) == ["error"] and isinstance(b["error"], str) and b["error"]
' "$body" 2>/dev/null || fail "$what: expected an {\"error\": \"...\"} body, got: $body"
  elif [[ "$expected" -ge 400 ]]; then
    python3 -c '
import json, sys
b = json.loads(sys.argv[1])
assert isinstance(b, dict) and list(b) == ["error"] and isinstance(b["error"], dict)
e = b["error"]
assert set(e) <= {"id", "description", "details"} and e["id"] and e["description"].endswith(".")
' "$body" 2>/dev/null || fail "$what: expected an {\"error\": {\"id\", ...}} body, got: $body"
  fi
  ok "$what ($status)"
}

# expect_json DESCRIPTION PYTHON_EXPR: evaluates the expression with `b` = the last body (and
# `h` = the last headers, lower-case names); fails unless it is true.
expect_json() {
  local what=$1 expr=$2
  python3 - "$expr" "$body" "$work/headers" <<'EOF' || fail "$what
  check: $expr
  body:  $body"
import json, os, sys
expr, text, headers_file = sys.argv[1], sys.argv[2], sys.argv[3]
b = json.loads(text) if text.strip() else None
h = {}
if os.path.exists(headers_file):
    for line in open(headers_file, encoding="latin-1"):
        if ":" in line:
            k, v = line.split(":", 1)
            h[k.strip().lower()] = v.strip()
sys.exit(0 if eval(expr) else 1)
EOF
  ok "$what"
}

json_field() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$body" "$1"; }

