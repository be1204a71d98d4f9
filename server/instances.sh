#!/usr/bin/env bash
# Several server instances on one PostgreSQL database: the deployment behind a load balancer.
#
# Starts a throwaway PostgreSQL (server/pg.sh) and two servers on one database, then checks:
#   1. 16 simultaneous joins with a one-use token, split between the two: one 201, fifteen 400,
#      usage count 1;
#   2. a burst of 24 joins with a 10-use token across both, one server killed (kill -9) in the
#      middle and restarted: the usage count equals the number of members who joined with it, at
#      most 10, and every 201 a client saw is a member;
#   3. PostgreSQL stopped under the servers: 503 with {"error": ...}; started again: the servers
#      answer again by themselves;
#   4. an unreachable database at start: exit non-zero, one line naming the database without its
#      password.
# Stops everything at the end, whatever happens. Needs bash, curl, python3, psql and cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=server/pg.sh
source server/pg.sh

work=$(mktemp -d "${TMPDIR:-/tmp}/onezone-instances.XXXXXX")
pids=("" "")
passed=0

cleanup() {
  for pid in "${pids[@]}"; do
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  pg_stop
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for i in 0 1; do
    [[ -s "$work/server$i.err" ]] && { echo "--- server $i log:" >&2; tail -n 15 "$work/server$i.err" >&2; }
  done
  exit 1
}
ok() {
  passed=$((passed + 1))
  echo "ok $passed - $*"
}

echo "building the server (debug)..."
cargo build --quiet -p onezone-server
target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
server_bin="$target_dir/debug/onezone-server"

pg_start
db=$(pg_createdb instances)

(
  umask 077
  python3 >"$work/config.json" <<'EOF'
import json
users = {"alice": "secret"}
users.update({f"user{i}": "secret" for i in range(40)})
print(json.dumps({"users": users, "max_groups_per_user": 5, "max_open_invites_per_user": 5}))
EOF
)

# start_server I: starts server I on a free port; sets base[I].
declare -a base
start_server() {
  local i=$1
  : >"$work/server$i.out"
  "$server_bin" --db "$db" --port 0 --config "$work/config.json" --master-key "$work/master.key" \
    >"$work/server$i.out" 2>>"$work/server$i.err" &
  pids[i]=$!
  local line=""
  for _ in $(seq 1 600); do
    line=$(head -n 1 "$work/server$i.out" 2>/dev/null || true)
    [[ "$line" == "listening on http://127.0.0.1:"* ]] && break
    kill -0 "${pids[i]}" 2>/dev/null || fail "server $i exited at start-up"
    sleep 0.1
  done
  [[ "$line" == "listening on http://127.0.0.1:"* ]] || fail "server $i did not start"
  base[i]="${line#listening on }/api/v3/onezone"
}

start_server 0
start_server 1
ok "two servers on one PostgreSQL database (${base[0]}, ${base[1]})"

json_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

group=$(curl -sf -u alice:secret -X POST -H 'Content-Type: application/json' \
  -d '{"name": "Shared", "type": "team"}' "${base[0]}/user/groups" | json_field groupId)
# The group made on one server is there on the other at once.
curl -sf -o /dev/null -u alice:secret "${base[1]}/groups/$group" || fail "server 1 does not see the group"
ok "a group created on server 0 is read on server 1"

# Log every user in once on both servers, so that the races are on the database.
for i in $(seq 0 39); do
  for s in 0 1; do curl -s -o /dev/null -u "user$i:secret" "${base[s]}/groups/$group" & done
done
wait_curls() { for job in $(jobs -p); do [[ " ${pids[*]} " == *" $job "* ]] || wait "$job" || true; done; }
wait_curls

# --- 1. a one-use token, 16 joins split between the servers ------------------------------
token=$(curl -sf -u alice:secret -X POST "${base[0]}/groups/$group/users/token" | json_field token)
id1=$(psql "$db" -Atc "SELECT token_id FROM invite_tokens WHERE usage_limit = 1")
for i in $(seq 0 15); do
  curl -s -o /dev/null -w '%{http_code}\n' -u "user$i:secret" -X POST \
    -H 'Content-Type: application/json' -d "{\"token\": \"$token\"}" \
    "${base[i % 2]}/user/groups/join" >"$work/race.$i" &
done
wait_curls
created=$(cat "$work"/race.* | grep -c '^201$' || true)
refused=$(cat "$work"/race.* | grep -c '^400$' || true)
[[ "$created" == 1 && "$refused" == 15 ]] ||
  fail "16 joins with a one-use token: expected one 201 and fifteen 400, got $(sort "$work"/race.* | uniq -c | tr '\n' ' ')"
count=$(psql "$db" -Atc "SELECT usage_count FROM invite_tokens WHERE token_id = '$id1'")
[[ "$count" == 1 ]] || fail "the one-use token's usage count is $count"
members=$(psql "$db" -Atc "SELECT COUNT(*) FROM group_users WHERE group_id = '$group'")
[[ "$members" == 2 ]] || fail "the group has $members members, expected alice and one winner"
ok "16 simultaneous joins over two servers with a one-use token: one 201, fifteen 400, usage count 1"

# --- 1b. quotas raced from both servers -------------------------------------------------
# race_quota NAME USER STATUS TABLE COLUMN PATH [BODY]: USER sends 16 simultaneous POSTs of
# BODY to PATH, split between the servers, against a quota of 5 (config.json): exactly five
# answer STATUS, eleven 429, and TABLE holds five rows whose COLUMN is USER.
race_quota() {
  local name=$1 user=$2 status=$3 table=$4 column=$5 path=$6 body=${7:-}
  local json=()
  [[ -n "$body" ]] && json=(-H 'Content-Type: application/json' -d "$body")
  rm -f "$work"/quota.*
  for i in $(seq 0 15); do
    curl -s -o /dev/null -w '%{http_code}\n' -u "$user:secret" -X POST "${json[@]}" \
      "${base[i % 2]}$path" >"$work/quota.$i" &
  done
  wait_curls
  local made refused stored
  made=$(cat "$work"/quota.* | grep -c "^$status\$" || true)
  refused=$(cat "$work"/quota.* | grep -c '^429$' || true)
  stored=$(psql "$db" -Atc "SELECT COUNT(*) FROM $table WHERE $column = '$user'")
  [[ "$made" == 5 && "$refused" == 11 && "$stored" == 5 ]] ||
    fail "16 $name against a quota of 5: $stored stored, answers $(sort "$work"/quota.* | uniq -c | tr '\n' ' ')"
  ok "16 simultaneous $name over two servers against a quota of 5: five $status, eleven 429"
}
race_quota "group creations" user0 201 groups created_by /user/groups '{"name": "Quota"}'
own=$(curl -sf -u user1:secret -X POST -H 'Content-Type: application/json' \
  -d '{"name": "Own"}' "${base[0]}/user/groups" | json_field groupId)
race_quota "invites (open tokens)" user1 200 invite_tokens issuer "/groups/$own/users/token"

# --- 2. a 10-use token, a burst across both, one server killed in the middle -------------
token=$(curl -sf -u alice:secret -X POST -H 'Content-Type: application/json' \
  -d '{"usageLimit": 10}' "${base[1]}/groups/$group/users/token" | json_field token)
id10=$(psql "$db" -Atc "SELECT token_id FROM invite_tokens WHERE usage_limit = 10")
rm -f "$work"/burst.*
for i in $(seq 16 39); do
  curl -s -o /dev/null -w '%{http_code}\n' -u "user$i:secret" -X POST \
    -H 'Content-Type: application/json' -d "{\"token\": \"$token\"}" \
    "${base[i % 2]}/user/groups/join" >"$work/burst.$i" &
  [[ $i == 24 ]] && { kill -KILL "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true; pids[0]=""; }
done
wait_curls
ok "server 0 killed (kill -9) in the middle of the burst"
start_server 0
ok "server 0 restarted on the same database"
count=$(psql "$db" -Atc "SELECT usage_count FROM invite_tokens WHERE token_id = '$id10'")
joined=$(psql "$db" -Atc "SELECT COUNT(*) FROM group_users WHERE group_id = '$group'
  AND user_id IN ($(seq -f "'user%g'" 16 39 | paste -sd,))")
[[ "$count" == "$joined" ]] || fail "usage count $count, but $joined members joined with the token"
[[ "$count" -le 10 ]] || fail "usage count $count above the limit of 10"
for i in $(seq 16 39); do
  if [[ "$(cat "$work/burst.$i")" == 201 ]]; then
    member=$(psql "$db" -Atc "SELECT COUNT(*) FROM group_users WHERE group_id = '$group' AND user_id = 'user$i'")
    [[ "$member" == 1 ]] || fail "user$i saw 201 but is not a member"
  fi
done
seen=$(cat "$work"/burst.* | grep -c '^201$' || true)
ok "after the kill: usage count $count = members who joined with it ($joined, $seen 201s seen), all 201s are members"
# Both servers answer from the same data.
for s in 0 1; do
  n=$(curl -sf -u alice:secret "${base[s]}/groups/$group/users" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["users"]))')
  [[ "$n" == $((2 + count)) ]] || fail "server $s lists $n members, expected $((2 + count))"
done
ok "both servers list the same $((2 + count)) members"

# --- 3. the database goes away, and comes back -----------------------------------------
pg_pause
status=$(curl -s -o "$work/down.body" -w '%{http_code}' -u alice:secret "${base[1]}/groups/$group")
[[ "$status" == 503 ]] || fail "with PostgreSQL stopped: expected 503, got $status $(cat "$work/down.body")"
python3 -c 'import json,sys; b = json.load(open(sys.argv[1])); assert list(b) == ["error"]' "$work/down.body" ||
  fail "the 503 body is not {\"error\": ...}: $(cat "$work/down.body")"
status=$(curl -s -o /dev/null -w '%{http_code}' -u alice:secret -X POST "${base[0]}/groups/$group/users/token")
[[ "$status" == 503 ]] || fail "issuing with PostgreSQL stopped: expected 503, got $status"
ok "PostgreSQL stopped: 503 with an {\"error\": ...} body, on both servers"
pg_resume
for s in 0 1; do
  status=000
  for _ in $(seq 1 50); do
    status=$(curl -s -o /dev/null -w '%{http_code}' -u alice:secret "${base[s]}/groups/$group")
    [[ "$status" == 200 ]] && break
    sleep 0.2
  done
  [[ "$status" == 200 ]] || fail "server $s did not recover after PostgreSQL came back ($status)"
done
token=$(curl -sf -u alice:secret -X POST "${base[1]}/groups/$group/users/token" | json_field token)
[[ -n "$token" ]] || fail "no token after the database came back"
ok "PostgreSQL started again: both servers answer by themselves, and issue tokens"

# --- 4. a database that cannot be reached at start -------------------------------------
closed=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if "$server_bin" --db "postgres://onezone:hunter2@127.0.0.1:$closed/nothing" --port 0 \
  >"$work/bad.out" 2>"$work/bad.err"; then
  fail "a server started on an unreachable database"
fi
[[ $(wc -l <"$work/bad.err") == 1 ]] || fail "expected one line, got: $(cat "$work/bad.err")"
grep -q "127.0.0.1:$closed/nothing" "$work/bad.err" || fail "the line does not name the database: $(cat "$work/bad.err")"
if grep -q hunter2 "$work/bad.err" "$work/bad.out"; then fail "the password was printed"; fi
ok "an unreachable database at start: exit $(
  "$server_bin" --db "postgres://onezone:hunter2@127.0.0.1:$closed/nothing" --port 0 >/dev/null 2>&1
  echo $?
), one line: $(cat "$work/bad.err")"

echo
echo "instances: $passed passed, 0 failed"
