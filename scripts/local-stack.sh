#!/usr/bin/env bash
# The deployed topology on one machine, without AWS: Redis (queue, pub/sub, response cache, with a password), a
# moto server standing in for S3 (three buckets: raw, series, clean), DynamoDB and EventBridge, and Streamlens as
# separate processes: the gateway (`api`), two workers, the scheduler and a stand-alone simulator. The processes get
# the same kind of settings the CDK app gives the containers (see docs/DEPLOY.md).
#
#   scripts/local-stack.sh                 # build (release), start everything, print the addresses; ctrl-c stops all
#   scripts/local-stack.sh --check         # start, then prove it works and stop: a pull, a pipeline run and a
#                                          # GraphQL query through the gateway; a 30-slot backfill during which one
#                                          # worker is killed with SIGKILL, and every series still becomes ready
#   options: --debug (debug build: faster to build), --port N (gateway port; default 8080, --check: a free one),
#            --keep (with --check: leave the logs folder)
#
# Everything it starts is stopped when it exits (ctrl-c, an error, or the end of --check), and it checks that no
# process it started is left. Logs: the folder it prints (one file per process).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
cache="${STREAMLENS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/streamlens}"
moto_version="5.2.5"

profile=release
check=0
keep=0
port=""
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check=1 ;;
    --debug) profile=debug ;;
    --keep) keep=1 ;;
    --port) port=${2:?--port needs a number}; shift ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done

say() { printf '==> %s\n' "$*"; }
fail() { printf '\nlocal stack FAILED: %s\n' "$*" >&2; exit 1; }

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

work=$(mktemp -d "${TMPDIR:-/tmp}/streamlens-local.XXXXXX")
logs="$work/logs"
mkdir -p "$logs" "$work/data"

declare -A pids=()
# Stops the named processes: SIGTERM, then SIGKILL for those still running after `seconds`.
stop_group() { # seconds, names...
  local seconds=$1 name
  shift
  [ $# -eq 0 ] && return 0
  for name in "$@"; do kill -TERM "${pids[$name]}" 2>/dev/null || true; done
  for _ in $(seq $((seconds * 10))); do
    local alive=0
    for name in "$@"; do kill -0 "${pids[$name]}" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  for name in "$@"; do
    if kill -0 "${pids[$name]}" 2>/dev/null; then
      echo "  $name did not stop within $seconds s: SIGKILL" >&2
      kill -KILL "${pids[$name]}" 2>/dev/null || true
    fi
    wait "${pids[$name]}" 2>/dev/null || true
  done
}
# Streamlens' processes first, given the 45 s a deployed task gets to stop (a worker finishes its running jobs on
# SIGTERM), while Redis, moto and the simulator still answer; then those.
stop_all() {
  local name own=() services=()
  for name in "${!pids[@]}"; do
    case "$name" in
      redis | moto | simulator) services+=("$name") ;;
      *) own+=("$name") ;;
    esac
  done
  stop_group 45 "${own[@]}"
  stop_group 10 "${services[@]}"
  local left=()
  for name in "${!pids[@]}"; do kill -0 "${pids[$name]}" 2>/dev/null && left+=("$name"); done
  if [ "${#left[@]}" -gt 0 ]; then
    echo "processes left running: ${left[*]}" >&2
    return 1
  fi
  echo "stopped ${#pids[@]} processes; none left"
}
on_exit() {
  local status=$?
  trap - EXIT INT TERM
  say "stopping everything"
  stop_all || status=1
  if [ "$check" -eq 1 ] && [ "$keep" -eq 0 ] && [ "$status" -eq 0 ]; then
    rm -rf "$work"
  else
    echo "logs: $logs"
  fi
  exit "$status"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

start() { # name, command...: runs in the background with its own log
  local name=$1
  shift
  "$@" >"$logs/$name.log" 2>&1 &
  pids[$name]=$!
}

wait_until() { # description, seconds, command...
  local what=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "$what (waited ${seconds} s; logs: $logs)"
    sleep 1
  done
}

say "building the binaries ($profile)"
build=(cargo build --locked -p streamlens-api -p streamlens-jobs --bin api --bin worker --bin scheduler --bin simulator --bin backfill)
[ "$profile" = release ] && build+=(--release)
"${build[@]}"
bin="$root/target/$profile"

say "Redis (with a password) and moto (S3, DynamoDB, EventBridge)"
command -v redis-server >/dev/null || fail "redis-server is not installed (apt-get install redis-server)"
redis_port=$(free_port)
redis_password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
start redis redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --requirepass "$redis_password"
venv="$cache/moto-$moto_version"
if [ ! -x "$venv/bin/moto_server" ]; then
  echo "installing moto[server]==$moto_version into $venv"
  python3 -m venv "$venv" || fail "python3 -m venv failed (install python3-venv)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$moto_version" || fail "could not install moto"
fi
moto_port=$(free_port)
start moto "$venv/bin/python" scripts/moto_server.py 127.0.0.1 "$moto_port"
moto_up() { python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$moto_port/moto-api/', timeout=1)" 2>/dev/null; }
wait_until "moto did not start" 60 moto_up
redis_up() { redis-cli -p "$redis_port" -a "$redis_password" --no-auth-warning ping 2>/dev/null | grep -q PONG; }
wait_until "Redis did not start" 20 redis_up

export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
bus=streamlens-local
"$venv/bin/python" - "$moto_port" "$bus" <<'PY' || fail "could not create the EventBridge bus in moto"
import sys, boto3
events = boto3.client("events", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1")
events.create_event_bus(Name=sys.argv[2])
PY

say "the simulator (its own process)"
sim_port=$(free_port)
# --check uses a smaller world: moto answers one request at a time, and a backfilled series of a 2,000-channel world
# writes thousands of items (stats, minutes, broadcasts, profiles); the check is of the topology, not of scale.
channels=2000
[ "$check" -eq 1 ] && channels=500
start simulator "$bin/simulator" --listen "127.0.0.1:$sim_port" --channels "$channels"
sim_up() { python3 -c "import socket; socket.create_connection(('127.0.0.1', $sim_port), timeout=1)" 2>/dev/null; }
wait_until "the simulator did not start" 30 sim_up

cat >"$work/streamlens.toml" <<EOF
# The live source (pulled every minute by the scheduler) and a history source for backfills, both the simulator.
[[source]]
id = "simulator"
kind = "simulator"
base_url = "http://127.0.0.1:$sim_port"

[[source]]
id = "archive"
kind = "history"
base_url = "http://127.0.0.1:$sim_port"
EOF

[ -n "$port" ] || { if [ "$check" -eq 1 ]; then port=$(free_port); else port=8080; fi; }
admin_password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
redis_url="redis://127.0.0.1:$redis_port"
export STREAMLENS_CONFIG="$work/streamlens.toml"
export STREAMLENS_DATA_DIR="$work/data"
export STREAMLENS_BLOBS="s3://streamlens-local-clean/other"
export STREAMLENS_BLOBS_RAW="s3://streamlens-local-raw"
export STREAMLENS_BLOBS_SERIES="s3://streamlens-local-series"
export STREAMLENS_BLOBS_CLEAN="s3://streamlens-local-clean"
export STREAMLENS_META="dynamodb://streamlens-local"
export STREAMLENS_AWS_ENDPOINT="http://127.0.0.1:$moto_port"
export STREAMLENS_AWS_REGION=us-east-1
export STREAMLENS_CREATE_RESOURCES=true
export STREAMLENS_QUEUE="$redis_url" STREAMLENS_PUBSUB="$redis_url" STREAMLENS_CACHE="$redis_url"
export STREAMLENS_REDIS_PASSWORD="$redis_password"
export STREAMLENS_EVENTBRIDGE_BUS="$bus"
export STREAMLENS_ADMIN_LOGIN=admin STREAMLENS_ADMIN_PASSWORD="$admin_password"
export STREAMLENS_JWT_SECRET
STREAMLENS_JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
export STREAMLENS_EXPLORER=true
export STREAMLENS_LOG_FORMAT=json

say "the gateway (api) on 127.0.0.1:$port"
# First alone: it creates the buckets and the table that the others then find.
STREAMLENS_LISTEN="127.0.0.1:$port" start api "$bin/api"
api_up() { python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/readyz', timeout=2)" 2>/dev/null; }
wait_until "the gateway did not become ready" 90 api_up

say "two workers and the scheduler"
# Each job and pipeline step is logged (debug), so a check that fails shows where the work stopped.
worker_log="${STREAMLENS_LOG:-info,streamlens_jobs=debug}"
STREAMLENS_LOG=$worker_log STREAMLENS_CLOUDWATCH_NAMESPACE=Streamlens/Local start worker-1 "$bin/worker"
STREAMLENS_LOG=$worker_log STREAMLENS_CLOUDWATCH_NAMESPACE=Streamlens/Local start worker-2 "$bin/worker"
start scheduler "$bin/scheduler"

for name in "${!pids[@]}"; do
  kill -0 "${pids[$name]}" 2>/dev/null || fail "$name exited at start (log: $logs/$name.log)"
done

cat <<EOF

Streamlens is up as separate processes (logs in $logs):
  gateway     http://127.0.0.1:$port/  (GraphiQL; GraphQL at /graphql)
  admin       login "admin", password $admin_password
  Redis       127.0.0.1:$redis_port (password in STREAMLENS_REDIS_PASSWORD of the processes)
  moto        http://127.0.0.1:$moto_port (S3 buckets streamlens-local-{raw,series,clean}, table streamlens-local-meta,
              EventBridge bus $bus)
  simulator   http://127.0.0.1:$sim_port (sources "simulator", minutely, and "archive" for backfills)
  processes   ${!pids[*]}

EOF

if [ "$check" -eq 0 ]; then
  echo "ctrl-c stops everything."
  while true; do
    for name in api worker-1 worker-2 scheduler; do
      kill -0 "${pids[$name]}" 2>/dev/null || fail "$name stopped (log: $logs/$name.log)"
    done
    sleep 2
  done
fi

# --check: the same steps a person would take, through the gateway's GraphQL API.
graphql() { # query, [variables JSON] -> prints data JSON, fails on errors
  local variables=${2:-'{}'}
  python3 - "http://127.0.0.1:$port/graphql" "${token:-}" "$1" "$variables" <<'PY'
import json, sys, urllib.request
url, token, query, variables = sys.argv[1:5]
request = urllib.request.Request(url, json.dumps({"query": query, "variables": json.loads(variables)}).encode(),
                                 {"Content-Type": "application/json"})
if token:
    request.add_header("Authorization", "Bearer " + token)
try:
    body = json.load(urllib.request.urlopen(request, timeout=30))
except urllib.error.HTTPError as e:
    body = json.load(e)
if body.get("errors"):
    sys.exit("GraphQL errors: " + json.dumps(body["errors"]))
print(json.dumps(body["data"]))
PY
}
queue_state() { # each queue's waiting and scheduled jobs, its workers' last heartbeats, and every in-flight set
  local cli=(redis-cli -p "$redis_port" -a "$redis_password" --no-auth-warning) key queue worker score
  for key in $("${cli[@]}" --scan --pattern 'streamlens:*:workers' | sort); do
    queue=${key%:workers}
    echo "$queue: $("${cli[@]}" llen "$queue:active") waiting, $("${cli[@]}" zcard "$queue:scheduled") scheduled"
    while read -r worker && read -r score; do
      echo "  worker $worker: last heartbeat $(($(date +%s) - ${score%.*})) s ago"
    done < <("${cli[@]}" zrange "$key" 0 -1 withscores)
  done
  for key in $("${cli[@]}" --scan --pattern 'streamlens:*:inflight:*' | sort); do
    echo "in flight in $key: $("${cli[@]}" smembers "$key" | tr '\n' ' ')"
  done
}
field() { python3 -c "import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1], {}, {'d': d}))" "$1"; }

say "check: log in as admin"
# shellcheck disable=SC2016 # $p is a GraphQL variable
token=$(graphql 'mutation($p: String!) { login(login: "admin", password: $p) { token } }' \
  "{\"p\": \"$admin_password\"}" | field 'd["login"]["token"]')

say "check: pull now, and wait for the series to be ready"
graphql 'mutation { pullNow(source: "simulator") { pullId } }' >/dev/null
ready_count() { # source -> number of ready series
  graphql "{ seriesList(source: \"$1\", status: READY, first: 100) { nodes { id } } }" | field 'len(d["seriesList"]["nodes"])'
}
live_ready() { [ "$(ready_count simulator)" -ge 1 ]; }
wait_until "no simulator series became ready" 120 live_ready
rows=$(graphql '{ rankings(entity: CHANNEL, period: HOUR, first: 5) { edges { node { rank value channel { login } } } } }' \
  | field 'len(d["rankings"]["edges"])')
[ "$rows" -ge 1 ] || fail "the hour's channel ranking is empty"
echo "  a series is ready; rankings(CHANNEL, HOUR) returned $rows rows through the gateway"

say "check: a 30-slot backfill, with worker-1 killed (SIGKILL) while it runs"
to=$(date -u -d "$(date -u +%Y-%m-%dT%H:%M:00Z) - 5 minutes" +%Y-%m-%dT%H:%M:00Z)
from=$(date -u -d "$to - 30 minutes" +%Y-%m-%dT%H:%M:00Z)
"$bin/backfill" pull --source archive --from "$from" --to "$to" >"$logs/backfill.log" 2>&1 \
  || fail "backfill failed (log: $logs/backfill.log)"
some_ready() { [ "$(ready_count archive)" -ge 1 ]; }
wait_until "no backfilled series became ready" 120 some_ready
kill -KILL "${pids[worker-1]}"
wait "${pids[worker-1]}" 2>/dev/null || true
unset 'pids[worker-1]'
echo "  killed worker-1 with $(ready_count archive) of 30 series ready"
# As long as it takes while series keep becoming ready (a slow machine is slow), but not when none did for 180 s.
ready=0
progress_at=$SECONDS
while [ "$ready" -lt 30 ]; do
  sleep 2
  now_ready=$(ready_count archive)
  [ "$now_ready" -gt "$ready" ] && progress_at=$SECONDS
  ready=$now_ready
  if [ $((SECONDS - progress_at)) -ge 180 ]; then
    for status in PENDING RUNNING FAILED; do
      ids=$(graphql "{ seriesList(source: \"archive\", status: $status, first: 100) { nodes { id } } }" \
        | field '" ".join(n["id"] for n in d["seriesList"]["nodes"])')
      echo "  archive series $status: ${ids:-none}"
    done
    echo "  the queues in Redis (waiting, scheduled, and each worker's last heartbeat and jobs in flight):"
    queue_state | sed 's/^/    /'
    echo "  the last lines of worker-2's log:"
    tail -n 25 "$logs/worker-2.log" | cut -c1-400 | sed 's/^/    /'
    fail "the backfill stalled on the remaining worker: $ready of 30 series ready, none more in 180 s (logs: $logs)"
  fi
done
dead=$(graphql '{ deadJobs { queue } }' | field 'len(d["deadJobs"])')
failed=$(graphql '{ seriesList(source: "archive", status: FAILED, first: 100) { nodes { id } } }' \
  | field 'len(d["seriesList"]["nodes"])')
[ "$dead" -eq 0 ] || fail "$dead dead jobs after the kill"
[ "$failed" -eq 0 ] || fail "$failed failed series after the kill"
echo "  30 of 30 series ready on worker-2, 0 dead jobs, 0 failed series"

say "check: the workers' CloudWatch metric lines"
grep -q '"CloudWatchMetrics"' "$logs/worker-2.log" || fail "worker-2 wrote no embedded-metric line"
echo "  worker-2 wrote $(grep -c '"CloudWatchMetrics"' "$logs/worker-2.log") embedded-metric line(s)"

say "local stack check passed"
