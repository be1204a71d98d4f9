# A throwaway PostgreSQL for the server's tests and load runs. Source it, then:
#
#   pg_start            # a new cluster in a temporary folder, on 127.0.0.1 and a free port;
#                       # sets PG_URL (postgres://onezone@127.0.0.1:PORT) and PG_PORT
#   pg_createdb NAME    # a fresh database; prints its URL
#   pg_pause / pg_resume  # stops and starts the same cluster (the database "going away")
#   pg_stop             # stops it and removes the folder (safe to call twice)
#
# Installs the Debian `postgresql` package with apt-get if no `initdb` is found (root only).
# The cluster runs as an unprivileged user (`postgres` if it exists, else the caller when not
# root), listens on loopback only, and trusts local connections of its one role `onezone`.

pg__bin=""
pg__dir=""
pg__user=""

pg__find_bin() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"
    return 0
  fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -n "$dir" && -x "$dir/initdb" ]] && echo "$dir"
}

pg__as() {
  if [[ $(id -u) == 0 ]]; then
    runuser -u "$pg__user" -- "$@"
  else
    "$@"
  fi
}

pg_start() {
  pg__bin=$(pg__find_bin || true)
  if [[ -z "$pg__bin" ]]; then
    [[ $(id -u) == 0 ]] || { echo "error: PostgreSQL is not installed (apt-get install postgresql)" >&2; return 1; }
    echo "installing PostgreSQL (apt-get install postgresql)..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q postgresql >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null; } || return 1
    pg__bin=$(pg__find_bin) || return 1
  fi
  if [[ $(id -u) == 0 ]]; then
    pg__user=postgres
    id -u "$pg__user" >/dev/null 2>&1 || useradd --system --no-create-home "$pg__user"
  fi
  pg__dir=$(mktemp -d "${TMPDIR:-/tmp}/onezone-pg.XXXXXX")
  [[ -n "$pg__user" ]] && chown "$pg__user" "$pg__dir"
  chmod 700 "$pg__dir"
  PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  pg__as "$pg__bin/initdb" -D "$pg__dir/data" -U onezone --auth=trust -E UTF8 --no-instructions \
    >"$pg__dir/initdb.log" 2>&1 || { cat "$pg__dir/initdb.log" >&2; return 1; }
  pg_resume || return 1
  PG_URL="postgres://onezone@127.0.0.1:$PG_PORT"
  export PG_URL PG_PORT
}

pg_resume() {
  pg__as "$pg__bin/pg_ctl" -D "$pg__dir/data" -l "$pg__dir/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $PG_PORT -k $pg__dir -c max_connections=200" start >/dev/null ||
    { tail -n 20 "$pg__dir/server.log" >&2; return 1; }
}

pg_pause() {
  pg__as "$pg__bin/pg_ctl" -D "$pg__dir/data" -w -t 60 -m fast stop >/dev/null
}

pg_createdb() {
  "$pg__bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U onezone "$1" >&2 || return 1
  echo "$PG_URL/$1"
}

pg_stop() {
  [[ -n "$pg__dir" && -d "$pg__dir" ]] || return 0
  pg__as "$pg__bin/pg_ctl" -D "$pg__dir/data" -w -t 60 -m fast stop >/dev/null 2>&1 || true
  rm -rf "$pg__dir"
  pg__dir=""
}
