#!/usr/bin/env bash
# Starts, stops or joins an extra RabbitMQ node on this machine, beside the default one (rabbit@<host>, port 5672):
# a site's own broker, a node of the central cluster, a chaos run's private broker. Each node has its own name, ports
# and data folder; all share the Erlang cookie of the rabbitmq user (/var/lib/rabbitmq/.erlang.cookie), so they can
# form a cluster.
#
#   node.sh start NAME AMQP_PORT          start node NAME@<host> (idempotent); management on AMQP_PORT + 10000,
#                                         Erlang distribution on AMQP_PORT + 20000
#   node.sh join NAME OTHER               make NAME a member of OTHER's cluster (both started; wipes NAME's data)
#   node.sh stop NAME                     stop the node (its data stays)
#   node.sh kill NAME                     SIGKILL the node's Erlang VM (a crash, for fault tests)
#   node.sh reset NAME                    stop the node and delete its data
#   node.sh ctl NAME ARGS...              rabbitmqctl against the node
#
# Data, logs and config live under $RTD_RABBITMQ_NODES (default /var/lib/rabbitmq/rtd-nodes/NAME).
# Plugins: management, federation, shovel (and their management views).
set -euo pipefail
base="${RTD_RABBITMQ_NODES:-/var/lib/rabbitmq/rtd-nodes}"
host="$(hostname -s)"

usage() { sed -n '2,17p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
command="$1"; name="$2"; shift 2
dir="$base/$name"
node="$name@$host"

env_for() { # the variables rabbitmq-server and rabbitmqctl read for this node
  export RABBITMQ_NODENAME="$node" \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_PID_FILE="$dir/pid" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config"
}
ctl() { env_for; rabbitmqctl -n "$node" "$@"; }
running() { ctl -q status >/dev/null 2>&1; }

case "$command" in
  start)
    [ $# -eq 1 ] || usage
    port="$1"
    mkdir -p "$dir/mnesia" "$dir/log"
    printf 'listeners.tcp.default = %s\nmanagement.tcp.port = %s\ndistribution.listener.port_range.min = %s\ndistribution.listener.port_range.max = %s\nloopback_users = none\n' \
      "$port" "$((port + 10000))" "$((port + 20000))" "$((port + 20000))" > "$dir/rabbitmq.conf"
    echo '[rabbitmq_management,rabbitmq_federation,rabbitmq_federation_management,rabbitmq_shovel,rabbitmq_shovel_management].' > "$dir/enabled_plugins"
    echo '[].' > "$dir/advanced.config"
    chown -R rabbitmq:rabbitmq "$base"
    if running; then echo "[node] $node is already running (AMQP $port)"; exit 0; fi
    env_for
    export RABBITMQ_DIST_PORT="$((port + 20000))" RABBITMQ_NODE_PORT="$port"
    # the node is a daemon: it must not inherit this shell's open files (a caller's pipes, or a lock held with flock,
    # would stay open as long as the node runs)
    ( for fd in /proc/$BASHPID/fd/*; do fd="${fd##*/}"; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
      exec rabbitmq-server -detached </dev/null >>"$dir/log/start.log" 2>&1 )
    for _ in $(seq 1 90); do running && break; sleep 1; done
    if ! ctl -q await_startup --timeout 120 >/dev/null 2>&1; then
      echo "[node] $node did not start within 210 s; the end of its logs ($dir/log):" >&2
      tail -n 40 "$dir/log/start.log" "$dir/log/$node.log" >&2 2>/dev/null || true
      exit 1
    fi
    echo "[node] $node is up: AMQP 127.0.0.1:$port, management http://127.0.0.1:$((port + 10000))"
    ;;
  join)
    [ $# -eq 1 ] || usage
    other="$1@$host"
    if ctl -q cluster_status --formatter json 2>/dev/null | grep -q "\"$other\""; then
      echo "[node] $node is already in $other's cluster"; exit 0
    fi
    ctl -q stop_app >/dev/null
    ctl -q reset >/dev/null
    ctl -q join_cluster "$other" >/dev/null 2>&1
    ctl -q start_app >/dev/null 2>&1
    ctl -q await_startup >/dev/null
    echo "[node] $node joined $other"
    ;;
  stop)
    running && ctl -q stop >/dev/null || true
    echo "[node] $node is stopped"
    ;;
  kill)
    if [ -f "$dir/pid" ]; then kill -9 "$(cat "$dir/pid")" 2>/dev/null || true; fi
    echo "[node] $node is killed"
    ;;
  reset)
    running && ctl -q stop >/dev/null || true
    rm -rf "$dir"
    echo "[node] $node is stopped and its data deleted"
    ;;
  ctl)
    ctl "$@"
    ;;
  *) usage ;;
esac
