#!/usr/bin/env bash
# Requests per second and latency percentiles of the seed endpoint
# (POST /api/v3/onezone/groups/ID/users/token) on loopback, with wrk.
#
# Builds the server (release), fills a fresh database with a known directory (N_GROUPS groups,
# each with N_MEMBERS plain members of its own, all owned by alice), starts the server on
# 127.0.0.1 and runs wrk for DURATION with CONNECTIONS connections on THREADS threads, every
# request alice's (basic authentication) for one of the groups. Each answered token is a
# committed row. The run is bounded (DURATION) and only ever talks to 127.0.0.1. Then the server
# is stopped.
#
#   bash server/load.sh                                  # the defaults below
#   DURABILITY=normal DURATION=10s bash server/load.sh   # see --help of the server
#   SERVER_BIN=target/release/onezone-server bash server/load.sh   # no build
set -euo pipefail
cd "$(dirname "$0")/.."

N_GROUPS=${N_GROUPS:-1000}
N_MEMBERS=${N_MEMBERS:-100}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-1}
DURABILITY=${DURABILITY:-full}

if ! command -v wrk >/dev/null; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "installing wrk..."
    apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
  else
    echo "error: wrk is needed (apt-get install wrk)" >&2
    exit 1
  fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/onezone-load.XXXXXX")
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [[ -n "${SERVER_BIN:-}" ]]; then
  server_bin=$SERVER_BIN # an already built server
else
  echo "building the server (release)..."
  cargo build --quiet --release -p onezone-server
  target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
  server_bin="$target_dir/release/onezone-server"
fi
db="$work/onezone.db"

echo "populating: $N_GROUPS groups x $N_MEMBERS members..."
start=$(date +%s%N)
"$server_bin" populate --db "$db" --owner alice --groups "$N_GROUPS" --members "$N_MEMBERS" \
  >"$work/groups.txt"
echo "populated in $((($(date +%s%N) - start) / 1000000)) ms; database $(du -h "$db" | cut -f1)"
# A group in the middle of the list.
group=$(sed -n "$(((N_GROUPS + 1) / 2))p" "$work/groups.txt")

"$server_bin" --db "$db" --port 0 --user alice:secret --durability "$DURABILITY" \
  >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
line=""
for _ in $(seq 1 300); do
  line=$(head -n 1 "$work/server.out" 2>/dev/null || true)
  [[ "$line" == "listening on http://127.0.0.1:"* ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.err" >&2; exit 1; }
  sleep 0.1
done
url="${line#listening on }/api/v3/onezone/groups/$group/users/token"

# One request first: it checks the answer and puts alice's password check behind us.
status=$(curl -s -o "$work/first.json" -w '%{http_code}' -u alice:secret -X POST "$url")
[[ "$status" == 200 ]] || { echo "error: $status $(cat "$work/first.json")" >&2; exit 1; }

cat >"$work/post.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Authorization"] = "Basic YWxpY2U6c2VjcmV0" -- alice:secret
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("non-2xx or socket errors: %d\n",
    errors.status + errors.connect + errors.read + errors.write + errors.timeout))
end
EOF

echo
echo "setup: $N_GROUPS groups, $((N_GROUPS * N_MEMBERS + 1)) users ($N_MEMBERS members a group + alice)," \
  "durability $DURABILITY, $(nproc) cores shared by server and wrk"
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency POST .../groups/ID/users/token"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$work/post.lua" "$url"

kill -TERM "$server_pid"
wait "$server_pid" || true
server_pid=""
python3 - "$db" <<'EOF'
import sqlite3, sys
(n,) = sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM invites").fetchone()
print(f"invite records committed: {n}")
EOF
