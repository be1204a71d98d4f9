#!/usr/bin/env bash
# The reference server as Onezone 20.02 (`--api 20.02`), driven by curl the way a 20.02 client
# drives Onezone: a user gets an access token with basic authentication once, then does
# everything with it (X-Auth-Token, Authorization: Bearer, Macaroon): creates a group, makes a
# user invite with POST /user/tokens/named, another user joins with it, tokens are examined,
# verified, confined, listed, revoked and deleted, temporary tokens are made and all revoked at
# once, an `interface` caveat is honoured, and errors are read by their id. Statuses, headers and
# bodies are checked against Onezone's (oz-worker release/20.02.20 REST routes and translators,
# ctool release/20.02.20 `errors.erl`; see SPEC section 8).
#
# Needs bash, curl, python3 and cargo. Run it from anywhere: `bash server/scenario_2002.sh`; on
# PostgreSQL: `SCENARIO_DB=postgres://user@127.0.0.1:5432/name bash server/scenario_2002.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=server/scenario_lib.sh
source server/scenario_lib.sh
error_shape=2002
domain=onezone.test
onezone="https://$domain/api/v3/onezone"
json='Content-Type: application/json'

start_server --api 20.02 --domain "$domain" --user alice:secret --user bob:secret \
  --user carol:secret --user dave:secret --user erin:secret
echo "server $server_pid at $base (Onezone 20.02)"

# error_is ID [PYTHON_EXPR]: the last body is a 20.02 error with this id (and the expression,
# over `e` = the error object, holds).
error_is() {
  expect_json "... error id $1${2:+, $2}" \
    "b['error']['id'] == '$1' and (lambda e: ${2:-True})(b['error'])"
}

# A point in time an hour ahead, for time caveats.
soon=$(($(date +%s) + 3600))

# --- an access token, from basic authentication -------------------------------------------------
rm -f "$work/headers"
call 201 "alice makes a named access token with basic auth" -u alice:secret -X POST \
  -D "$work/headers" -H "$json" -d '{"name": "cli", "type": {"accessToken": {}}}' \
  "$base/user/tokens/named"
expect_json "... answered {tokenId, token} with an absolute Location" \
  "set(b) == {'tokenId', 'token'} and h['location'] == '$onezone/tokens/named/' + b['tokenId']"
alice_token=$(json_field token)
alice_token_id=$(json_field tokenId)
A=(-H "X-Auth-Token: $alice_token")

call 200 "GET /user with X-Auth-Token" "${A[@]}" "$base/user"
expect_json "... is alice" "b['userId'] == 'alice' and b['username'] == 'alice'"
call 200 "... with Authorization: Bearer" -H "Authorization: Bearer $alice_token" "$base/user"
call 200 "... with the deprecated Macaroon header" -H "Macaroon: $alice_token" "$base/user"
call 401 "a token that is not one" -H "X-Auth-Token: garbage" "$base/user"
error_is unauthorized "'authError' in e['details']"
call 401 "no credentials" "$base/user"
error_is unauthorized
call 401 "wrong basic credentials" -u alice:wrong "$base/user"
error_is unauthorized "e['details']['authError']['id'] == 'badBasicCredentials'"

# --- a group, and an invite through the token API --------------------------------------------
rm -f "$work/headers"
call 201 "alice creates a group with her token" "${A[@]}" -X POST -D "$work/headers" \
  -H "$json" -d '{"name": "Physicists", "type": "team"}' "$base/user/groups"
expect_json "... absolute Location, no body" \
  "b is None and h['location'].startswith('$onezone/user/groups/')"
group=$(python3 -c 'import sys; print(sys.argv[1].rstrip().rsplit("/", 1)[1])' \
  "$(grep -i '^location:' "$work/headers")")
call 200 "her groups" "${A[@]}" "$base/user/groups"
expect_json "... list it" "b == {'groups': ['$group']}"

invite_type="{\"inviteToken\": {\"inviteType\": \"userJoinGroup\", \"groupId\": \"$group\"}}"
call 201 "alice makes a user invite with POST /user/tokens/named" "${A[@]}" -X POST -H "$json" \
  -d "{\"name\": \"invite\", \"type\": $invite_type}" "$base/user/tokens/named"
invite=$(json_field token)
invite_id=$(json_field tokenId)
call 400 "the same name again" "${A[@]}" -X POST -H "$json" \
  -d "{\"name\": \"invite\", \"type\": $invite_type}" "$base/user/tokens/named"
error_is badValueIdentifierOccupied "e['details']['key'] == 'name'"
call 201 "a one-use invite" "${A[@]}" -X POST -H "$json" \
  -d "{\"name\": \"once\", \"type\": $invite_type, \"usageLimit\": 1}" "$base/user/tokens/named"
once=$(json_field token)

# --- bob joins with Bearer ---------------------------------------------------------------------
call 201 "bob makes his access token" -u bob:secret -X POST -H "$json" \
  -d '{"name": "cli", "type": {"accessToken": {}}}' "$base/user/tokens/named"
B=(-H "Authorization: Bearer $(json_field token)")
call 400 "bob may not invite to alice's group" "${B[@]}" -X POST -H "$json" \
  -d "{\"name\": \"mine\", \"type\": $invite_type}" "$base/user/tokens/named"
error_is inviteTokenSubjectNotAuthorized
rm -f "$work/headers"
call 201 "bob joins with the invite" "${B[@]}" -X POST -D "$work/headers" -H "$json" \
  -d "{\"token\": \"$invite\"}" "$base/user/groups/join"
expect_json "... absolute Location of the group, no body" \
  "b is None and h['location'] == '$onezone/user/groups/$group'"
call 409 "a second join" "${B[@]}" -X POST -H "$json" -d "{\"token\": \"$invite\"}" \
  "$base/user/groups/join"
error_is relationAlreadyExists \
  "e['details'] == {'childType': 'user', 'childId': 'bob', 'parentType': 'group', 'parentId': '$group'}"
call 201 "carol joins with the one-use invite" -u carol:secret -X POST -H "$json" \
  -d "{\"token\": \"$once\"}" "$base/user/groups/join"
call 400 "the spent one-use invite" "${B[@]}" -X POST -H "$json" -d "{\"token\": \"$once\"}" \
  "$base/user/groups/join"
error_is inviteTokenUsageLimitReached "'details' not in e"
call 200 "the members" "${A[@]}" "$base/groups/$group/users"
expect_json "... alice, bob, carol" "sorted(b['users']) == ['alice', 'bob', 'carol']"

# --- examine, verify, confine -------------------------------------------------------------------
call 200 "examine the invite (no credentials)" -X POST -H "$json" -d "{\"token\": \"$invite\"}" \
  "$base/tokens/examine"
expect_json "... Onezone's shape" \
  "b['onezoneDomain'] == '$domain' and b['id'] == '$invite_id' and b['persistence'] == 'named' and b['subject'] == {'type': 'user', 'id': 'alice'} and b['type']['inviteToken']['inviteType'] == 'userJoinGroup' and b['type']['inviteToken']['groupId'] == '$group' and b['caveats'] == []"
call 200 "verify the invite" -X POST -H "$json" \
  -d "{\"token\": \"$invite\", \"expectedInviteType\": \"userJoinGroup\"}" \
  "$base/tokens/verify_invite_token"
expect_json "... its subject, no ttl" "b == {'subject': {'type': 'user', 'id': 'alice'}, 'ttl': None}"
call 400 "verify it as another invite type" -X POST -H "$json" \
  -d "{\"token\": \"$invite\", \"expectedInviteType\": \"groupJoinGroup\"}" \
  "$base/tokens/verify_invite_token"
error_is notAnInviteToken
call 400 "verify the invite as an access token" -X POST -H "$json" \
  -d "{\"token\": \"$invite\"}" "$base/tokens/verify_access_token"
expect_json "... not an access token" \
  "b['error']['id'] == 'notAnAccessToken' or b['error']['details']['tokenError']['id'] == 'notAnAccessToken'"
call 200 "verify alice's access token" -X POST -H "$json" -d "{\"token\": \"$alice_token\"}" \
  "$base/tokens/verify_access_token"
expect_json "... alice" "b['subject'] == {'type': 'user', 'id': 'alice'} and b['ttl'] is None"
call 200 "confine alice's token to an hour" -X POST -H "$json" \
  -d "{\"token\": \"$alice_token\", \"caveats\": [{\"type\": \"time\", \"validUntil\": $soon}]}" \
  "$base/tokens/confine"
confined=$(json_field token)
call 200 "the confined token works" -H "X-Auth-Token: $confined" "$base/user"
call 200 "... and verifies with a ttl" -X POST -H "$json" -d "{\"token\": \"$confined\"}" \
  "$base/tokens/verify_access_token"
expect_json "... of at most an hour" "0 < b['ttl'] <= 3600"

# --- an interface caveat ------------------------------------------------------------------------
call 201 "a token for oneclient only" "${A[@]}" -X POST -H "$json" \
  -d '{"name": "oneclient", "type": {"accessToken": {}}, "caveats": [{"type": "interface", "interface": "oneclient"}]}' \
  "$base/user/tokens/named"
oneclient=$(json_field token)
call 401 "... does not authenticate on REST" -H "X-Auth-Token: $oneclient" "$base/user"
error_is unauthorized "e['details']['authError']['id'] == 'tokenCaveatUnverified'"
call 201 "a token for REST only" "${A[@]}" -X POST -H "$json" \
  -d '{"name": "rest", "type": {"accessToken": {}}, "caveats": [{"type": "interface", "interface": "rest"}]}' \
  "$base/user/tokens/named"
call 200 "... does" -H "X-Auth-Token: $(json_field token)" "$base/user"

# --- managing named tokens ----------------------------------------------------------------------
call 200 "alice's named tokens" "${A[@]}" "$base/user/tokens/named"
expect_json "... by id" "'$alice_token_id' in b['tokens'] and '$invite_id' in b['tokens']"
call 200 "one by name" "${A[@]}" "$base/user/tokens/named/name/invite"
expect_json "... the invite, as a NamedToken" \
  "b['id'] == '$invite_id' and b['name'] == 'invite' and b['subject'] == {'type': 'user', 'id': 'alice'} and b['revoked'] is False and b['token'] == '$invite'"
call 200 "one by id" "${A[@]}" "$base/tokens/named/$invite_id"
expect_json "... the same" "b['id'] == '$invite_id' and b['type']['inviteToken']['groupId'] == '$group'"
call 404 "an unknown id" "${A[@]}" "$base/tokens/named/NoSuchToken"
error_is notFound
call 403 "bob may not read alice's token" "${B[@]}" "$base/tokens/named/$invite_id"
error_is forbidden
call 204 "alice revokes the invite" "${A[@]}" -X PATCH -H "$json" -d '{"revoked": true}' \
  "$base/tokens/named/$invite_id"
call 200 "its status" "${A[@]}" "$base/tokens/named/$invite_id/status"
expect_json "... revoked" "b['revoked'] is True"
call 400 "the revoked invite no longer lets anyone in" -u carol:secret -X POST -H "$json" \
  -d "{\"token\": \"$invite\"}" "$base/user/groups/join"
expect_json "... it is revoked" \
  "b['error']['id'] == 'tokenRevoked' or b['error']['details']['tokenError']['id'] == 'tokenRevoked'"
call 204 "alice renames and annotates her cli token" "${A[@]}" -X PATCH -H "$json" \
  -d '{"name": "laptop", "customMetadata": {"note": "for the scenario"}}' \
  "$base/tokens/named/$alice_token_id"
call 200 "... as it reads back" "${A[@]}" "$base/user/tokens/named/name/laptop"
expect_json "... renamed" "b['id'] == '$alice_token_id' and b['metadata']['custom'] == {'note': 'for the scenario'}"

# --- temporary tokens ---------------------------------------------------------------------------
call 400 "a temporary token without a time caveat" "${A[@]}" -X POST -H "$json" \
  -d '{"type": {"accessToken": {}}}' "$base/user/tokens/temporary"
error_is tokenTimeCaveatRequired "e['details']['maxTtl'] == 2592000"
rm -f "$work/headers"
call 201 "a temporary token for an hour" "${A[@]}" -X POST -D "$work/headers" -H "$json" \
  -d "{\"type\": {\"accessToken\": {}}, \"caveats\": [{\"type\": \"time\", \"validUntil\": $soon}]}" \
  "$base/user/tokens/temporary"
expect_json "... {token} alone, no Location" "list(b) == ['token'] and 'location' not in h"
temporary=$(json_field token)
call 200 "... authenticates" -H "X-Auth-Token: $temporary" "$base/user"
call 200 "the temporary tokens' generation" "${A[@]}" "$base/user/tokens/temporary"
generation=$(json_field generation)
call 201 "a temporary invite for an hour" "${A[@]}" -X POST -H "$json" \
  -d "{\"type\": $invite_type, \"caveats\": [{\"type\": \"time\", \"validUntil\": $soon}]}" \
  "$base/user/tokens/temporary"
temp_invite=$(json_field token)
rm -f "$work/headers"
call 201 "dave joins with the temporary invite" -u dave:secret -X POST -D "$work/headers" \
  -H "$json" -d "{\"token\": \"$temp_invite\"}" "$base/user/groups/join"
expect_json "... absolute Location of the group, no body" \
  "h.get('location') == '$onezone/user/groups/$group' and b is None"
call 204 "alice revokes all her temporary tokens" "${A[@]}" -X DELETE "$base/user/tokens/temporary"
call 400 "the temporary invite no longer lets anyone in" -u erin:secret -X POST -H "$json" \
  -d "{\"token\": \"$temp_invite\"}" "$base/user/groups/join"
error_is badValueToken "e['details']['tokenError']['id'] == 'tokenRevoked'"
call 401 "the temporary token no longer authenticates" -H "X-Auth-Token: $temporary" "$base/user"
error_is unauthorized "e['details']['authError']['id'] == 'tokenRevoked'"
call 200 "the generation" "${A[@]}" "$base/user/tokens/temporary"
expect_json "... moved on" "b['generation'] == $generation + 1"
call 200 "named tokens are not concerned" "${A[@]}" "$base/user"

# --- privileges by 20.02's names ----------------------------------------------------------------
call 200 "bob's privileges" "${A[@]}" "$base/groups/$group/users/bob/privileges"
expect_json "... in 20.02's names" "'group_view' in b['privileges'] and 'group_add_user' not in b['privileges']"
call 400 "17.06 names in a 20.02 PATCH" "${A[@]}" -X PATCH -H "$json" \
  -d '{"grant": ["group_invite_user"]}' "$base/groups/$group/users/bob/privileges"
error_is badValueListNotAllowed "e['details']['key'] == 'grant'"
call 204 "alice grants bob group_add_user" "${A[@]}" -X PATCH -H "$json" \
  -d '{"grant": ["group_add_user"], "revoke": []}' "$base/groups/$group/users/bob/privileges"
call 200 "... as it reads back" "${A[@]}" "$base/groups/$group/users/bob/privileges"
expect_json "... granted" "'group_add_user' in b['privileges']"
call 201 "now bob may invite" "${B[@]}" -X POST -H "$json" \
  -d "{\"name\": \"bob invite\", \"type\": $invite_type}" "$base/user/tokens/named"

# --- the deprecated invite route, as 20.02 answers it --------------------------------------------
call 200 "POST /groups/{id}/users/token with a token, body ignored" "${A[@]}" -X POST -H "$json" \
  -d '{"usageLimit": 5}' "$base/groups/$group/users/token"
legacy=$(json_field token)
call 200 "... a one-use named invite without caveats" -X POST -H "$json" \
  -d "{\"token\": \"$legacy\"}" "$base/tokens/examine"
expect_json "... as examine reads it" "b['persistence'] == 'named' and b['caveats'] == []"
legacy_id=$(json_field id)
call 200 "... and as it is stored" "${A[@]}" "$base/tokens/named/$legacy_id"
expect_json "... named after the group, usage limit 1" \
  "b['name'].startswith('user invite to group - Physicists ') and b['metadata']['usageLimit'] == 1"

# --- deleting -----------------------------------------------------------------------------------
call 204 "alice deletes her invite" "${A[@]}" -X DELETE "$base/tokens/named/$invite_id"
call 404 "... it is gone" "${A[@]}" "$base/tokens/named/$invite_id"
call 204 "bob deletes all his named tokens" "${B[@]}" -X DELETE "$base/user/tokens/named"
call 401 "... his access token with them" "${B[@]}" "$base/user"
error_is unauthorized

# --- stop ---------------------------------------------------------------------------------------
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=""
[[ "$status" == 0 ]] || fail "the server exited with $status on SIGTERM"
ok "the server stops on SIGTERM"
for secret in "$alice_token" "$invite" "$temporary" "$temp_invite" "$confined" "secret"; do
  if grep -qF -- "$secret" "$work/server.err"; then
    fail "the server log contains a token or a password"
  fi
done
ok "the log holds no token or password"

echo
echo "scenario 20.02: $passed passed, 0 failed"
