#!/usr/bin/env bash
# Starts, stops or reports a Prometheus server for RealTimeDistributor (the apt package's binary, not its service): its
# own folder, port and data, always from an empty state. The folder holds a copy of prometheus.yml and rules.yml from
# this directory, the scrape targets (targets/rtd.json, targets/rabbitmq.json: file_sd, re-read when they change), the
# time-series data, prometheus.log and pid.
#
#   prometheus.sh up [OPTIONS]      stop one running in the folder, empty it, start; waits until it is ready
#     --port N                      HTTP port (default $RTD_PROMETHEUS_PORT, else 9391; on 127.0.0.1)
#     --dir DIR                     its folder (default $RTD_PROMETHEUS_DIR, else /var/tmp/rtd-prometheus)
#     --targets FILE                file_sd JSON of the processes to scrape (default: the rtd-lab demo's: central :5080,
#                                   a distributor :5081.. and a client :5090.. per site of $RTD_SITES)
#     --rabbitmq HOST:PORT|none     RabbitMQ's prometheus plugin (default 127.0.0.1:15692)
#     --interval DURATION           scrape and evaluation interval (default 15s)
#     --for DURATION                every alert's `for:` and rules.yml's `offset 30s` (default: as in rules.yml)
#   prometheus.sh down [--dir DIR]  stop it and delete its folder
#   prometheus.sh status [--port N] [--dir DIR]   ready or not, and the alerts firing; exit code 3 when not running
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
port="${RTD_PROMETHEUS_PORT:-9391}"
dir="${RTD_PROMETHEUS_DIR:-/var/tmp/rtd-prometheus}"
targets="" rabbitmq="127.0.0.1:15692" interval="" hold=""

usage() { sed -n '2,18p' "$0" >&2; exit 2; }
[ $# -ge 1 ] || usage
command="$1"; shift
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || usage
  case "$1" in
    --port) port="$2" ;;
    --dir) dir="$2" ;;
    --targets) targets="$2" ;;
    --rabbitmq) rabbitmq="$2" ;;
    --interval) interval="$2" ;;
    --for) hold="$2" ;;
    *) usage ;;
  esac
  shift 2
done
url="http://127.0.0.1:$port"

ready() { curl -fsS --max-time 2 "$url/-/ready" >/dev/null 2>&1; }

stop() {
  if [ -f "$dir/pid" ]; then
    pid="$(cat "$dir/pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
}

# the rtd-lab demo's processes (Demo.cs: central 5080, distributors 5081 + i, clients 5090 + i)
demo_targets() {
  # no site label: each process's own metrics carry theirs (a target label of the same name would rename it exported_site)
  local sites=(${RTD_SITES:-site-a site-b}) i=0 groups
  groups="{\"targets\":[\"127.0.0.1:5080\"],\"labels\":{\"job\":\"central\"}}"
  for _ in "${sites[@]}"; do
    groups="$groups,{\"targets\":[\"127.0.0.1:$((5081 + i))\"],\"labels\":{\"job\":\"distributor\"}}"
    groups="$groups,{\"targets\":[\"127.0.0.1:$((5090 + i))\"],\"labels\":{\"job\":\"client\"}}"
    i=$((i + 1))
  done
  echo "[$groups]"
}

case "$command" in
  up)
    command -v prometheus >/dev/null || { echo "[prometheus] prometheus is not installed (apt-get install prometheus)" >&2; exit 1; }
    stop
    rm -rf "$dir"
    mkdir -p "$dir/targets" "$dir/data"
    cp "$here/prometheus.yml" "$here/rules.yml" "$dir/"
    if [ -n "$interval" ]; then
      sed -i -E "s/^(  (scrape_interval|scrape_timeout|evaluation_interval):).*/\1 $interval/" "$dir/prometheus.yml"
    fi
    if [ -n "$hold" ]; then
      sed -i -E -e "s/^( +for:).*/\1 $hold/" -e "s/offset 30s/offset $hold/g" "$dir/rules.yml"
    fi
    if [ -n "$targets" ]; then cp "$targets" "$dir/targets/rtd.json"; else demo_targets > "$dir/targets/rtd.json"; fi
    if [ "$rabbitmq" = none ]; then echo '[]' > "$dir/targets/rabbitmq.json"
    else echo "[{\"targets\":[\"$rabbitmq\"],\"labels\":{\"job\":\"rabbitmq\"}}]" > "$dir/targets/rabbitmq.json"; fi
    promtool check config "$dir/prometheus.yml" >/dev/null
    # a daemon: it must not inherit this shell's open files (a caller's pipes, or a lock held with flock)
    ( for fd in /proc/$BASHPID/fd/*; do fd="${fd##*/}"; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
      exec setsid prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
        --web.listen-address="127.0.0.1:$port" --storage.tsdb.retention.time=2d </dev/null >>"$dir/prometheus.log" 2>&1 ) &
    echo $! > "$dir/pid"
    for _ in $(seq 1 60); do ready && break; kill -0 "$(cat "$dir/pid")" 2>/dev/null || break; sleep 0.5; done
    if ! ready; then
      echo "[prometheus] did not become ready at $url; the end of $dir/prometheus.log:" >&2
      tail -n 20 "$dir/prometheus.log" >&2 || true
      stop
      exit 1
    fi
    echo "[prometheus] up: $url (alerts: $url/alerts), folder $dir"
    ;;
  down)
    stop
    rm -rf "$dir"
    echo "[prometheus] stopped, $dir deleted"
    ;;
  status)
    if ! ready; then echo "[prometheus] not running at $url"; exit 3; fi
    echo "[prometheus] ready at $url, folder $dir"
    curl -fsS "$url/api/v1/alerts" | python3 -c 'import json,sys
alerts=json.load(sys.stdin)["data"]["alerts"]
print("  no alert pending or firing" if not alerts else "\n".join("  %s %s %s" % (a["state"], a["labels"]["alertname"], a["annotations"].get("summary","")) for a in alerts))'
    ;;
  *) usage ;;
esac
