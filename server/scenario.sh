#!/usr/bin/env bash
# The reference server driven by a real client, the way the seed API page does it:
#
#   curl -u alice:secret -X POST http://127.0.0.1:PORT/api/v3/onezone/groups/ID/users/token
#
# Builds the server (debug: `cargo test -p onezone-server` has already built it in CI), starts it
# on 127.0.0.1 with a fresh database in a temporary folder, checks every status of the seed
# endpoint, joining and the reuse of a token, privileges, a restart on the same database after a
# crash (kill -9) and a burst of simultaneous joins with a one-use token; then stops the server.
# Any mismatch stops the run, printing what was expected and what came back.
#
# Needs only bash, curl, python3 (JSON, and its sqlite3 module to read the file at the end) and
# cargo. Run it from anywhere: `bash server/scenario.sh`.
#
# The database is a fresh SQLite file, unless SCENARIO_DB names a PostgreSQL database
# (`SCENARIO_DB=postgres://user@127.0.0.1:5432/name bash server/scenario.sh`; an empty one, read
# back at the end with psql). Everything is checked alike on both, except that only a SQLite file
# refuses a second server.
set -euo pipefail
cd "$(dirname "$0")/.."

RACERS=8 # simultaneous joins in the race

# shellcheck source=server/scenario_lib.sh
source server/scenario_lib.sh

# The racers come from a config file (readable by its owner only), alice to dave from the command
# line: both ways of creating users at start-up.
(
  umask 077
  python3 - "$RACERS" >"$work/config.json" <<'EOF'
import json, sys
print(json.dumps({"users": {f"racer{i}": "secret" for i in range(int(sys.argv[1]))}}))
EOF
)

# --- start ------------------------------------------------------------------------------------
start_server --user alice:secret --user bob:secret --user carol:secret --user dave:secret \
  --config "$work/config.json"
echo "server $server_pid at $base"

if ! $postgres; then
  # A second server on the same file is refused (on PostgreSQL, several servers are the point).
  if "$server_bin" --db "$db" --port 0 >"$work/second.out" 2>"$work/second.err"; then
    fail "a second server started on the same database"
  fi
  grep -q "in use" "$work/second.err" || fail "second server: $(cat "$work/second.err")"
  ok "a second server on the same database is refused"
fi

# --- a group ----------------------------------------------------------------------------------
rm -f "$work/headers"
call 201 "alice creates a group" -u alice:secret -X POST -D "$work/headers" \
  -H 'Content-Type: application/json' -d '{"name": "Physicists", "type": "team"}' "$base/user/groups"
group=$(json_field groupId)
expect_json "the group id is 32 letters and digits, the Location names it" \
  "len(b['groupId']) == 32 and b['groupId'].isalnum() and h['location'] == '/groups/' + b['groupId'] and b['name'] == 'Physicists' and b['type'] == 'team'"
tokens_url="$base/groups/$group/users/token"

# --- the seed endpoint, as the seed calls it ----------------------------------------------------
call 200 "the seed's curl: alice asks for an invite token" -u alice:secret -X POST "$tokens_url"
expect_json "the answer is {\"token\": ...} alone" "list(b) == ['token'] and len(b['token']) > 100"
token=$(json_field token)
now=$(date +%s)

cargo run --quiet --example token -- inspect "$token" >"$work/inspect.json" ||
  fail "the token CLI cannot inspect the token: $token"
body=$(cat "$work/inspect.json")
expect_json "the token CLI reads it: V1, Onezone-escaped, location localhost" \
  "b['format'] == 'v1' and b['escaped'] is True and b['location'] == 'localhost'"
expect_json "its identifier: a named user-joins-group invite by alice for the group" \
  "b['identifierFields']['version'] == 2 and b['identifierFields']['persistence'] == 'named' and b['identifierFields']['subject'] == {'type': 'user', 'id': 'alice'} and b['identifierFields']['type']['invite']['kind'] == 'userJoinGroup' and b['identifierFields']['type']['invite']['target'] == '$group' and b['identifier'].startswith('2/nmd/usr-alice/ujg:$group:/')"
expect_json "its one caveat: a time limit one week ahead" \
  "len(b['caveats']) == 1 and b['caveats'][0]['json']['type'] == 'time' and abs(b['caveats'][0]['json']['validUntil'] - ($now + 7 * 24 * 3600)) <= 60"

call 200 "POST /tokens/examine reads the same (no credentials needed)" -X POST \
  -H 'Content-Type: application/json' -d "{\"token\": \"$token\"}" "$base/tokens/examine"
expect_json "examine: identifier fields, caveats in JSON, location, not verified" \
  "b['identifierFields']['subject']['id'] == 'alice' and b['caveats'][0]['json']['type'] == 'time' and b['location'] == 'localhost' and b['verified'] is False"
call 400 "examine: garbage is refused" -X POST -H 'Content-Type: application/json' \
  -d '{"token": "garbage"}' "$base/tokens/examine"

call 200 "the seed's body {} is accepted" -u alice:secret -X POST \
  -H 'Content-Type: application/json' -d '{}' "$tokens_url"
call 401 "no credentials" -X POST "$tokens_url"
call 401 "a wrong password" -u alice:wrong -X POST "$tokens_url"
call 401 "an unknown user" -u mallory:secret -X POST "$tokens_url"
call 404 "an unknown group" -u alice:secret -X POST "$base/groups/NoSuchGroup123/users/token"
call 404 "an unknown group comes before credentials (the seed's order)" -X POST \
  "$base/groups/NoSuchGroup123/users/token"
call 400 "a malformed body" -u alice:secret -X POST -H 'Content-Type: application/json' \
  -d '{"usageLimit": ' "$tokens_url"
call 200 "an unknown key is ignored, as Onezone does" -u alice:secret -X POST \
  -H 'Content-Type: application/json' -d '{"colour": "red"}' "$tokens_url"
call 415 "a body that is not declared JSON (curl -d without -H)" -u alice:secret -X POST \
  -d '{}' "$tokens_url"
head -c 70000 /dev/zero | tr '\0' ' ' >"$work/big.json"
call 413 "a body over 64 KiB" -u alice:secret -X POST -H 'Content-Type: application/json' \
  --data-binary @"$work/big.json" "$tokens_url"
call 404 "an unknown route" -u alice:secret "$base/no/such/route"
call 405 "a wrong method" -u alice:secret -X DELETE "$base/groups/$group"

# --- joining ----------------------------------------------------------------------------------
rm -f "$work/headers"
call 201 "bob joins with the token" -u bob:secret -X POST -D "$work/headers" \
  -H 'Content-Type: application/json' -d "{\"token\": \"$token\"}" "$base/user/groups/join"
expect_json "Location: /user/groups/ID" "h['location'] == '/user/groups/$group' and b == {'groupId': '$group'}"
call 400 "carol reuses the spent token" -u carol:secret -X POST \
  -H 'Content-Type: application/json' -d "{\"token\": \"$token\"}" "$base/user/groups/join"
expect_json "... because its usage limit is reached" "'usage limit' in b['error']"
call 400 "a token that is not one" -u carol:secret -X POST -H 'Content-Type: application/json' \
  -d '{"token": "MDAxNWxvY2F0aW9uIGxvY2FsaG9zdAo"}' "$base/user/groups/join"
call 401 "joining needs credentials" -X POST -H 'Content-Type: application/json' \
  -d "{\"token\": \"$token\"}" "$base/user/groups/join"

call 403 "bob, a plain member, may not invite" -u bob:secret -X POST "$tokens_url"
expect_json "... for want of group_invite_user" "'group_invite_user' in b['error']"
call 403 "carol, no member, may not see the group" -u carol:secret "$base/groups/$group"
call 200 "bob sees the group" -u bob:secret "$base/groups/$group"
expect_json "the group" "b == {'groupId': '$group', 'name': 'Physicists', 'type': 'team'}"
call 200 "the members" -u bob:secret "$base/groups/$group/users"
expect_json "alice and bob" "b == {'users': ['alice', 'bob']}"
call 200 "bob's privileges" -u alice:secret "$base/groups/$group/users/bob/privileges"
expect_json "group_view only" "b == {'privileges': ['group_view']}"

# --- privileges -------------------------------------------------------------------------------
call 403 "bob may not grant himself a privilege" -u bob:secret -X PATCH \
  -H 'Content-Type: application/json' \
  -d '{"operation": "grant", "privileges": ["group_invite_user"]}' \
  "$base/groups/$group/users/bob/privileges"
call 204 "alice grants bob group_invite_user" -u alice:secret -X PATCH \
  -H 'Content-Type: application/json' \
  -d '{"operation": "grant", "privileges": ["group_invite_user"]}' \
  "$base/groups/$group/users/bob/privileges"
call 200 "now bob may invite" -u bob:secret -X POST "$tokens_url"
bob_token=$(json_field token)
call 201 "carol joins with bob's token" -u carol:secret -X POST \
  -H 'Content-Type: application/json' -d "{\"token\": \"$bob_token\"}" "$base/user/groups/join"
call 200 "an unused token, kept for after the restart" -u alice:secret -X POST "$tokens_url"
unused_token=$(json_field token)
call 200 "the effective members" -u carol:secret "$base/groups/$group/effective_users"
expect_json "alice, bob, carol" "b == {'users': ['alice', 'bob', 'carol']}"
call 200 "alice's effective privileges" -u carol:secret \
  "$base/groups/$group/effective_users/alice/privileges"
expect_json "all 12 (the creator is admin)" "len(b['privileges']) == 12"

# --- a crash and a restart on the same database ----------------------------------------------
kill -KILL "$server_pid"
wait "$server_pid" 2>/dev/null || true
ok "the server is killed (kill -9 $server_pid)"
# Started again without any user option: the users are in the database.
start_server
echo "server restarted: $server_pid at $base"

call 200 "the group is still there" -u bob:secret "$base/groups/$group"
expect_json "unchanged" "b == {'groupId': '$group', 'name': 'Physicists', 'type': 'team'}"
call 200 "the members are still there" -u alice:secret "$base/groups/$group/users"
expect_json "alice, bob, carol" "b == {'users': ['alice', 'bob', 'carol']}"
call 200 "bob's privileges are still there" -u alice:secret \
  "$base/groups/$group/users/bob/privileges"
expect_json "group_invite_user, group_view" "b == {'privileges': ['group_invite_user', 'group_view']}"
call 400 "the used token stays used" -u dave:secret -X POST \
  -H 'Content-Type: application/json' -d "{\"token\": \"$token\"}" "$base/user/groups/join"
expect_json "... its usage limit is reached" "'usage limit' in b['error']"
call 201 "the unused token still works" -u dave:secret -X POST \
  -H 'Content-Type: application/json' -d "{\"token\": \"$unused_token\"}" "$base/user/groups/join"

# --- simultaneous joins with a one-use token ----------------------------------------------------
call 201 "alice creates a second group for the race" -u alice:secret -X POST \
  -H 'Content-Type: application/json' -d '{"name": "Race"}' "$base/user/groups"
race_group=$(json_field groupId)
call 200 "a one-use token for it" -u alice:secret -X POST "$base/groups/$race_group/users/token"
race_token=$(json_field token)
race_token_id=$(python3 -c 'import sys; print(sys.argv[1].split("/")[-1])' \
  "$(cargo run --quiet --example token -- inspect "$race_token" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["identifier"])')")
# Log every racer in once first, so that the race is on the database, not on password checks.
# (`wait` names the curls: a bare `wait` would wait for the server too.)
pids=()
for i in $(seq 0 $((RACERS - 1))); do
  curl -s -o /dev/null -u "racer$i:secret" "$base/groups/$race_group" &
  pids+=($!)
done
wait "${pids[@]}"
pids=()
for i in $(seq 0 $((RACERS - 1))); do
  curl -s -o "$work/race.$i.body" -w '%{http_code}\n' -u "racer$i:secret" -X POST \
    -H 'Content-Type: application/json' -d "{\"token\": \"$race_token\"}" \
    "$base/user/groups/join" >"$work/race.$i.status" &
  pids+=($!)
done
wait "${pids[@]}"
statuses=$(cat "$work"/race.*.status | sort | uniq -c | tr -s ' ' | tr '\n' ',')
created=$(cat "$work"/race.*.status | grep -c '^201$' || true)
refused=$(cat "$work"/race.*.status | grep -c '^400$' || true)
[[ "$created" == 1 && "$refused" == $((RACERS - 1)) ]] ||
  fail "$RACERS simultaneous joins with a one-use token
  expected: one 201 and $((RACERS - 1)) 400
  got:      $statuses"
ok "$RACERS simultaneous joins with a one-use token: one 201, $((RACERS - 1)) 400"
call 200 "the race group" -u alice:secret "$base/groups/$race_group/users"
expect_json "has alice and one racer" "len(b['users']) == 2 and b['users'][0] == 'alice' and b['users'][1].startswith('racer')"

# --- limits: slow clients, failed logins, waiting password checks -------------------------------
# Restarted with short timeouts and small allowances. Clients come from distinct loopback
# addresses (127.0.0.2 ...), so that the counters per address do not mix.
kill -TERM "$server_pid"
wait "$server_pid" 2>/dev/null || true
start_server --header-timeout 2 --body-timeout 2 --login-failures-per-user 3 \
  --login-failures-per-address 6 --login-queue 0
echo "server restarted with limits: $server_pid at $base"

python3 - "$base" <<'EOF' || fail "slow clients are not all closed by the server within its timeouts"
import socket, sys, time
from urllib.parse import urlparse
u = urlparse(sys.argv[1])
addr = (u.hostname, u.port)
start = time.monotonic()
partial = []
for i in range(50):
    s = socket.create_connection(addr)
    s.sendall(b"GET /api/v3/onezone/groups/x HTTP/1.1\r\nHost: x\r\nX-Slow: " + str(i).encode())
    partial.append(s)
silent = [socket.create_connection(addr) for _ in range(5)]
body = socket.create_connection(addr)
body.sendall(b"POST /api/v3/onezone/tokens/examine HTTP/1.1\r\nHost: x\r\n"
             b"Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n{")
def closed_at(s):
    """Reads until the server closes: when it did (None: still open after 15 s), what it sent."""
    got = b""
    try:
        while True:
            s.settimeout(max(0.1, start + 15 - time.monotonic()))
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    except ConnectionResetError:
        pass
    except socket.timeout:
        return None, got
    return time.monotonic() - start, got
for name, group in (("partial headers", partial), ("no request", silent)):
    times = [closed_at(s)[0] for s in group]
    assert all(t is not None and t < 6 for t in times), f"{name}: closed at {times}"
t, got = closed_at(body)
assert t is not None and t < 6, f"slow body: closed at {t}"
assert got.startswith(b"HTTP/1.1 408 ") and b"not received within" in got, got
print(f"  {len(partial)} partial headers, {len(silent)} silent, 1 slow body: all closed within {t:.1f} s")
EOF
ok "50 connections with partial headers, 5 silent ones and a 60,000-byte body sent as 1 byte are all closed by the server within its 2 s timeouts (the body with a 400)"

for i in 1 2 3; do
  call 401 "a wrong password for alice from 127.0.0.2 ($i of 3)" --interface 127.0.0.2 \
    -u alice:wrong "$base/groups/$group"
done
rm -f "$work/headers"
call 429 "a 4th attempt for alice from there is refused at once" --interface 127.0.0.2 \
  -D "$work/headers" -u alice:wrong "$base/groups/$group"
expect_json "... saying why and when to come back (Retry-After)" \
  "b['error'].startswith('Too many failed logins for this user; try again in ') and 0 < int(h['retry-after']) <= 300"
call 429 "... even with the right password (a refusal tells nothing of the password)" \
  --interface 127.0.0.2 -u alice:secret "$base/groups/$group"
call 200 "alice, from an address with no failure, gets in at once" --interface 127.0.0.3 \
  -u alice:secret "$base/groups/$group"
for i in 1 2 3 4 5 6; do
  call 401 "an unknown user from 127.0.0.4 ($i of 6)" --interface 127.0.0.4 \
    -u "ghost$i:secret" "$base/groups/$group"
done
call 429 "a 7th failed login from that address is refused, whoever it names" \
  --interface 127.0.0.4 -u bob:secret "$base/groups/$group"
expect_json "... naming the address" "b['error'].startswith('Too many failed logins from this address')"
call 200 "bob from elsewhere is not concerned" --interface 127.0.0.5 -u bob:secret "$base/groups/$group"

python3 - "$base" "$(nproc)" <<'EOF' || fail "logins beyond the Argon2 workers and their queue do not answer 503"
import base64, json, sys, threading, urllib.error, urllib.request
base, cores = sys.argv[1], int(sys.argv[2])
n = 2 * cores + 8
barrier, results = threading.Barrier(n), [None] * n
def login(i):
    auth = base64.b64encode(f"flood{i}:wrong".encode()).decode()
    request = urllib.request.Request(f"{base}/user/groups", method="POST",
                                     headers={"Authorization": "Basic " + auth})
    barrier.wait()
    try:
        urllib.request.urlopen(request, timeout=60)
    except urllib.error.HTTPError as e:
        results[i] = (e.code, json.loads(e.read()), e.headers.get("Retry-After"))
threads = [threading.Thread(target=login, args=(i,)) for i in range(n)]
for t in threads:
    t.start()
for t in threads:
    t.join()
codes = sorted(r[0] for r in results)
assert set(codes) <= {401, 429, 503} and 401 in codes and 503 in codes, codes
for code, body, retry in results:
    if code == 503:
        assert list(body) == ["error"] and "too many logins are being checked" in body["error"], body
        assert retry == "1", retry
print(f"  {n} simultaneous wrong logins, {cores} Argon2 worker(s), no queue: "
      f"{codes.count(401)} checked (401), {codes.count(503)} answered 503 at once")
EOF
ok "simultaneous logins past the Argon2 workers and their queue answer 503 at once"
grep -qE '^GET /api/v3/onezone/groups/[A-Za-z0-9]+ 429 [0-9.]+ms$' "$work/server.err" ||
  fail "no request line like 'GET /api/v3/onezone/groups/ID 429 0.12ms' in the log"
ok "the refusals made before the routes have their request line too"

# --- stop -------------------------------------------------------------------------------------
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=""
[[ "$status" == 0 ]] || fail "the server exited with $status on SIGTERM"
ok "the server stops on SIGTERM"

if $postgres; then
  count=$(psql "$db" -Atc "SELECT usage_count FROM invite_tokens WHERE token_id = '$race_token_id'")
  [[ "$count" == 1 ]] || fail "the race token's usage count is '$count', expected 1"
  psql "$db" -Atc "SELECT password_hash FROM users" | while read -r hashed; do
    [[ "$hashed" == '$argon2id$'* && "$hashed" != *secret* ]] || fail "a password is not hashed"
  done
else
  python3 - "$db" "$race_token_id" <<'EOF' || fail "the database file does not hold what it should"
import sqlite3, sys
db, token_id = sys.argv[1], sys.argv[2]
con = sqlite3.connect(db)
(count,) = con.execute("SELECT usage_count FROM invite_tokens WHERE token_id = ?", (token_id,)).fetchone()
assert count == 1, f"the race token's usage count is {count}, expected 1"
for (name, hashed) in con.execute("SELECT name, password_hash FROM users"):
    assert hashed.startswith("$argon2id$") and "secret" not in hashed, name
EOF
fi
ok "in the database: the race token's usage count is 1; passwords are Argon2id hashes"

# The log has one line per request and never a token or a password.
for secret in "$token" "$bob_token" "$unused_token" "$race_token" "secret"; do
  if grep -qF -- "$secret" "$work/server.err"; then
    fail "the server log contains a token or a password"
  fi
done
grep -qE '^POST /api/v3/onezone/groups/[A-Za-z0-9]+/users/token 200 [0-9.]+ms$' "$work/server.err" ||
  fail "no request line like 'POST /api/v3/onezone/groups/ID/users/token 200 1.23ms' in the log"
ok "the log has a line per request and no token or password"

echo
echo "scenario: $passed passed, 0 failed"
