#!/usr/bin/env bash
# Login floods against the reference server (release build), on loopback, measured:
#
#   1. 250 wrong logins at once, each connection reset by its client right after sending
#      (SO_LINGER 0) so that nobody waits for the answers: the server's peak resident memory
#      (VmHWM) and peak thread count while it works them off, and both once it is quiet again.
#      Run twice: with the failed-login limits off (every login costs an Argon2 check: the
#      worst case for memory and threads) and with the defaults.
#   2. A legitimate user's first login (Argon2, nothing remembered yet) while FLOODERS clients
#      send wrong logins without pause from another address: its time, and its status.
#
# Prints one line per measurement; numbers are a benchmark, not a test, except that the run
# fails if the legitimate login is not answered 200, or if the peak memory exceeds MAX_RSS_MIB
# (default 400). Only talks to 127.0.0.x and stops what it started.
#
#   bash server/flood.sh
#   FLOODERS=64 bash server/flood.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ABORTED=${ABORTED:-250}
FLOODERS=${FLOODERS:-32}
MAX_RSS_MIB=${MAX_RSS_MIB:-400}

work=$(mktemp -d "${TMPDIR:-/tmp}/onezone-flood.XXXXXX")
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "building the server (release)..."
cargo build --quiet --release -p onezone-server
target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
server_bin="$target_dir/release/onezone-server"

# start_server ARGS...: a fresh database with alice and bob; sets server_pid and base.
start_server() {
  rm -f "$work/db"
  "$server_bin" --db "$work/db" --durability normal --port 0 --user alice:secret \
    --user bob:secret "$@" >"$work/out" 2>"$work/err" &
  server_pid=$!
  for _ in $(seq 1 300); do
    grep -q "^listening on" "$work/out" 2>/dev/null && break
    sleep 0.1
  done
  base=$(sed -n 's/^listening on //p' "$work/out" | head -n 1)
  [[ -n "$base" ]] || { echo "error: the server did not start" >&2; cat "$work/err" >&2; exit 1; }
}

stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# aborted LABEL: 250 aborted wrong logins, then the memory and threads.
aborted() {
  python3 - "$base" "$server_pid" "$ABORTED" "$1" "$MAX_RSS_MIB" "$work/err" <<'EOF'
import base64, collections, re, socket, struct, sys, threading, time
from urllib.parse import urlparse
base, pid, n, label, max_rss, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), sys.argv[6]
u = urlparse(base)

def status():
    fields = {}
    for line in open(f"/proc/{pid}/status"):
        k, v = line.split(":", 1)
        if k in ("VmRSS", "VmHWM", "Threads"):
            fields[k] = v.split()[0]
    return int(fields["VmRSS"]) // 1024, int(fields["VmHWM"]) // 1024, int(fields["Threads"])

peak_threads = 0
sampling = True
def sample():
    global peak_threads
    while sampling:
        peak_threads = max(peak_threads, status()[2])
        time.sleep(0.01)
sampler = threading.Thread(target=sample)
sampler.start()

start = time.monotonic()
clients = []
for i in range(n):
    auth = base64.b64encode(f"user{i % 50}:wrong{i}".encode()).decode()
    s = socket.create_connection((u.hostname, u.port))
    s.sendall(f"GET /api/v3/onezone/groups/x HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\n\r\n".encode())
    clients.append(s)
# Once the server has read them, the clients go away: reset, not closed.
time.sleep(0.5)
for s in clients:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
sent = time.monotonic() - start
# Until the server is quiet: its CPU time stops moving.
def cpu():
    return sum(int(x) for x in open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[11:13])
last, quiet_since = cpu(), time.monotonic()
while time.monotonic() - quiet_since < 2 and time.monotonic() - start < 600:
    time.sleep(0.25)
    now = cpu()
    if now != last:
        last, quiet_since = now, time.monotonic()
worked = quiet_since - start
sampling = False
sampler.join()
rss, hwm, threads = status()
answers = collections.Counter(re.findall(r"^GET \S+ (\d+) ", open(log).read(), re.M))
time.sleep(10)  # tokio's idle blocking threads leave after 10 s
later_rss, _, later_threads = status()
print(f"{label}: {n} aborted wrong logins sent in {sent:.1f} s, worked off in {worked:.1f} s "
      f"(answered before the resets: {dict(sorted(answers.items()))}); "
      f"peak RSS {hwm} MiB, peak threads {peak_threads}; once quiet: RSS {rss} MiB, threads {threads}; "
      f"10 s later: RSS {later_rss} MiB, threads {later_threads}")
if hwm > max_rss:
    sys.exit(f"peak RSS {hwm} MiB is over {max_rss} MiB")
EOF
}

# first_login LABEL: bob's first login from 127.0.0.2 while FLOODERS clients on 127.0.0.3 send
# wrong logins (for bob and for invented users) without pause.
first_login() {
  python3 - "$base" "$FLOODERS" "$1" <<'EOF'
import base64, http.client, sys, threading, time
from urllib.parse import urlparse
base, flooders, label = sys.argv[1], int(sys.argv[2]), sys.argv[3]
u = urlparse(base)
path = "/api/v3/onezone/groups/x"
stop = False
counts = {}
lock = threading.Lock()
def flood(k):
    i = 0
    while not stop:
        user = "bob" if i % 2 == 0 else f"ghost{k}-{i}"
        auth = base64.b64encode(f"{user}:wrong{i}".encode()).decode()
        try:
            c = http.client.HTTPConnection(u.hostname, u.port, timeout=30, source_address=("127.0.0.3", 0))
            c.request("GET", path, headers={"Authorization": "Basic " + auth})
            code = c.getresponse().status
            c.close()
        except OSError:
            code = "error"
        with lock:
            counts[code] = counts.get(code, 0) + 1
        i += 1
threads = [threading.Thread(target=flood, args=(k,)) for k in range(flooders)]
for t in threads:
    t.start()
time.sleep(3)
auth = base64.b64encode(b"bob:secret").decode()
start = time.monotonic()
c = http.client.HTTPConnection(u.hostname, u.port, timeout=60, source_address=("127.0.0.2", 0))
c.request("GET", path, headers={"Authorization": "Basic " + auth})
code = c.getresponse().status
took = (time.monotonic() - start) * 1000
time.sleep(1)
stop = True
for t in threads:
    t.join()
print(f"{label}: bob's first login during a flood of wrong ones ({flooders} clients, 4 s, "
      f"answers {dict(sorted(counts.items(), key=str))}): {code} in {took:.0f} ms")
# There is no group x: a login that passed answers 404 (a refused one 401, 429 or 503).
if code != 404:
    sys.exit(f"bob's login answered {code}")
EOF
}

echo "cores: $(nproc)"
start_server
python3 - "$base" <<'EOF'
import base64, http.client, sys, time
from urllib.parse import urlparse
u = urlparse(sys.argv[1])
start = time.monotonic()
c = http.client.HTTPConnection(u.hostname, u.port, timeout=60, source_address=("127.0.0.2", 0))
auth = base64.b64encode(b"bob:secret").decode()
c.request("GET", "/api/v3/onezone/groups/x", headers={"Authorization": "Basic " + auth})
code = c.getresponse().status
print(f"no flood  : bob's first login: {code} in {(time.monotonic() - start) * 1000:.0f} ms")
EOF
stop_server
start_server --login-failures-per-user 0 --login-failures-per-address 0
aborted "limits off"
stop_server
start_server
aborted "defaults  "
stop_server
start_server
first_login "defaults  "
stop_server
start_server --login-failures-per-user 0 --login-failures-per-address 0
first_login "limits off"
stop_server
