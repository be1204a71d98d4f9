#!/usr/bin/env bash
# Throughput and latency of issuing (POST .../groups/ID/users/token) and joining
# (POST .../user/groups/join) on loopback, with wrk, on either backend, with one or two servers.
#
# Builds the server (release), fills a fresh database with a known world (N_GROUPS groups, each
# with N_MEMBERS plain members of its own, all owned by alice), starts INSTANCES servers on it,
# then runs wrk for DURATION per mode with CONNECTIONS connections in all (split between the
# servers, one wrk each):
#   issue: every request alice's invite token for a group in the middle of the world;
#   join:  every request a different user joining a different group (JOIN_USERS users, each
#          server its own half, times JOIN_GROUPS fresh groups with an "infinity" token each), so
#          that each answered request is a committed membership and token use.
# Prints one line per mode: requests/s (summed over the servers), p50 and p99 latency (the worst
# server's), non-2xx answers. Numbers are a benchmark, not a test; the run only talks to
# 127.0.0.1 and stops what it started.
#
#   bash server/load.sh                                         # SQLite, 1,000 x 100 memberships
#   N_GROUPS=10 N_MEMBERS=10 bash server/load.sh                # 100 memberships
#   BACKEND=postgres INSTANCES=2 bash server/load.sh            # a throwaway PostgreSQL (server/pg.sh)
#   DURABILITY=normal MODES=issue DURATION=10s bash server/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=server/pg.sh
source server/pg.sh

BACKEND=${BACKEND:-sqlite}
INSTANCES=${INSTANCES:-1}
N_GROUPS=${N_GROUPS:-1000}
N_MEMBERS=${N_MEMBERS:-100}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-16}
DURABILITY=${DURABILITY:-full}
MODES=${MODES:-issue join}
JOIN_USERS=${JOIN_USERS:-64}
JOIN_GROUPS=${JOIN_GROUPS:-600}

if [[ "$BACKEND" == sqlite && "$INSTANCES" != 1 ]]; then
  echo "error: a SQLite file is served by one server; use BACKEND=postgres for several" >&2
  exit 2
fi
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
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  pg_stop
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

if [[ "$BACKEND" == postgres ]]; then
  pg_start
  db=$(pg_createdb load)
else
  db="$work/onezone.db"
fi

echo "populating: $N_GROUPS groups x $N_MEMBERS members..."
start=$(date +%s%N)
"$server_bin" populate --db "$db" --owner alice --groups "$N_GROUPS" --members "$N_MEMBERS" \
  --master-key "$work/master.key" \
  >"$work/groups.txt"
echo "populated in $((($(date +%s%N) - start) / 1000000)) ms"
group=$(sed -n "$(((N_GROUPS + 1) / 2))p" "$work/groups.txt")

(
  umask 077
  python3 - "$JOIN_USERS" >"$work/config.json" <<'EOF'
import json, sys
users = {"alice": "secret"}
users.update({f"joiner{i}": "secret" for i in range(int(sys.argv[1]))})
print(json.dumps({"users": users}))
EOF
)

bases=()
for i in $(seq 0 $((INSTANCES - 1))); do
  "$server_bin" --db "$db" --port 0 --config "$work/config.json" --durability "$DURABILITY" \
    --master-key "$work/master.key" \
    --max-groups-per-user 0 --max-open-invites-per-user 0 \
    >"$work/server$i.out" 2>"$work/server$i.err" &
  pids+=($!)
  line=""
  for _ in $(seq 1 600); do
    line=$(head -n 1 "$work/server$i.out" 2>/dev/null || true)
    [[ "$line" == "listening on http://127.0.0.1:"* ]] && break
    kill -0 "${pids[i]}" 2>/dev/null || { cat "$work/server$i.err" >&2; exit 1; }
    sleep 0.1
  done
  bases+=("${line#listening on }/api/v3/onezone")
done
memberships=$((N_GROUPS * (N_MEMBERS + 1)))
echo "setup: $BACKEND, $INSTANCES server(s), $memberships memberships, durability $DURABILITY," \
  "$(nproc) cores shared by the servers, the database and wrk"

# Every user's password is checked once per server first (Argon2), so wrk measures requests.
for base in "${bases[@]}"; do
  curl -s -o /dev/null -u alice:secret "$base/groups/$group"
  seq 0 $((JOIN_USERS - 1)) |
    xargs -P 8 -I{} curl -s -o /dev/null -u "joiner{}:secret" "$base/groups/$group"
done

# run_wrk NAME SCRIPT PATH: wrk on every server at once; prints the summary line.
run_wrk() {
  local name=$1 script=$2 path=$3
  local per=$(((CONNECTIONS + INSTANCES - 1) / INSTANCES))
  local i=0 wrks=()
  for base in "${bases[@]}"; do
    wrk -t1 -c"$per" -d"$DURATION" --latency -s "$script" "$base$path" -- "$i" "$INSTANCES" \
      >"$work/wrk.$name.$i" 2>&1 &
    wrks+=($!)
    i=$((i + 1))
  done
  wait "${wrks[@]}"
  python3 - "$name" "$work"/wrk."$name".* <<'EOF'
import re, sys
name, files = sys.argv[1], sys.argv[2:]
def ms(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = p50 = p99 = 0.0
bad = 0
for f in files:
    out = open(f).read()
    rps += float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = max(p50, ms(re.search(r"\s50%\s+(\S+)", out).group(1)))
    p99 = max(p99, ms(re.search(r"\s99%\s+(\S+)", out).group(1)))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    bad += int(m.group(1)) if m else 0
print(f"{name}: {rps:,.0f} requests/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, non-2xx {bad}")
EOF
}

for mode in $MODES; do
  case "$mode" in
  issue)
    cat >"$work/issue.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Authorization"] = "Basic YWxpY2U6c2VjcmV0" -- alice:secret
EOF
    run_wrk issue "$work/issue.lua" "/groups/$group/users/token"
    ;;
  join)
    # JOIN_GROUPS fresh groups of alice's, each with an "infinity" token: the join targets.
    python3 - "${bases[0]}" "$JOIN_GROUPS" >"$work/tokens.txt" <<'EOF'
import base64, json, sys, urllib.request
base, n = sys.argv[1], int(sys.argv[2])
auth = "Basic " + base64.b64encode(b"alice:secret").decode()
def post(path, body):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": auth, "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)
for _ in range(n):
    group = post("/user/groups", {"name": "join target", "type": "team"})["groupId"]
    print(post(f"/groups/{group}/users/token", {"usageLimit": "infinity"})["token"])
EOF
    python3 - "$work/tokens.txt" "$JOIN_USERS" >"$work/join.lua" <<'EOF'
import base64, sys
tokens = [t.strip() for t in open(sys.argv[1]) if t.strip()]
users = int(sys.argv[2])
auth = [base64.b64encode(f"joiner{i}:secret".encode()).decode() for i in range(users)]
print("local tokens = {" + ",".join(f'"{t}"' for t in tokens) + "}")
print("local auth = {" + ",".join(f'"{a}"' for a in auth) + "}")
print('''
local n, first, count = 0, 0, 1
init = function(args)
  -- server i of k takes its own share of the users, so no two requests are the same join
  local i, k = tonumber(args[1] or "0"), tonumber(args[2] or "1")
  count = math.floor(#auth / k)
  first = i * count
end
request = function()
  local user = first + (n % count)
  local token = math.floor(n / count) % #tokens
  n = n + 1
  return wrk.format("POST", nil, {
    ["Authorization"] = "Basic " .. auth[user + 1],
    ["Content-Type"] = "application/json",
  }, '{"token": "' .. tokens[token + 1] .. '"}')
end''')
EOF
    run_wrk join "$work/join.lua" "/user/groups/join"
    ;;
  *) echo "error: unknown mode $mode" >&2; exit 2 ;;
  esac
done
