#!/usr/bin/env bash
# The central database of record under Patroni on this machine (docs/deployment.md, "Central database HA"): a
# single-member etcd (client 127.0.0.1:2391, peer 2392), two PostgreSQL 15 instances run by Patroni (rtd-pg1 on 5461,
# REST 8061; rtd-pg2 on 5462, REST 8062; synchronous_mode: true, so an acknowledged commit is on both) and HAProxy on
# 127.0.0.1:5460, which sends every connection to the leader (Patroni's REST check GET /primary) and cuts the
# connections to a server that stops being it. The center connects with ConnectionStrings__Central=Host=127.0.0.1;
# Port=5460;... The roles and databases are those of infra/postgres/apply-roles.sh (rtd_controller owns rtd_central;
# rtd, CREATEDB, for the tests and the demo), same passwords (infra/env.sh).
#
#   ha.sh up            start everything from empty data (a leftover of an earlier run is removed first); returns
#                       when HAProxy reaches a leader that takes writes and the standby is synchronous
#   ha.sh down          stop everything and delete the data
#   ha.sh status        members, roles, timeline and lag (patronictl list)
#   ha.sh kill-primary  SIGKILL the leader's Patroni and PostgreSQL (the loss of that machine): Patroni promotes the
#                       synchronous standby once the leader key expires (ttl 10 s); prints the killed member's name
#   ha.sh rejoin        start Patroni again on a member that is down: it rejoins as a replica (pg_rewind)
#   ha.sh wait          wait (up to 120 s) until there is a leader and a synchronous standby (after rejoin)
#   ha.sh leader        print the leader's name
#   ha.sh address       print HAProxy's host:port
#
# Data and logs under $RTD_HA_DIR (default /var/tmp/rtd-ha). Ports: RTD_HA_PORT (HAProxy, 5460), RTD_HA_ETCD_PORT (2391).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=../env.sh
source "$here/env.sh"
base="${RTD_HA_DIR:-/var/tmp/rtd-ha}"
bin="${RTD_POSTGRES_BIN:-/usr/lib/postgresql/15/bin}"
port="${RTD_HA_PORT:-5460}"
etcd_port="${RTD_HA_ETCD_PORT:-2391}"
superuser_password="${RTD_HA_SUPERUSER_PASSWORD:-local-demo-ha-postgres}"
replication_password="${RTD_HA_REPLICATION_PASSWORD:-local-demo-ha-replicator}"
members=(rtd-pg1 rtd-pg2)
scope=rtd-central

log() { printf '[ha] %s\n' "$*"; }
usage() { sed -n '2,22p' "$0" >&2; exit 2; }
pg_port() { echo $((5461 + $1)); }
rest_port() { echo $((8061 + $1)); }
pid_alive() { [ -f "$1" ] && kill -0 "$(head -1 "$1")" 2>/dev/null; }

# a daemon must not inherit this shell's open files (a caller's pipes, or a lock held with flock, would stay open as
# long as it runs); it runs in a session of its own, its output in its log
daemon() {
  local pidfile="$1" logfile="$2"; shift 2
  ( for fd in /proc/$BASHPID/fd/*; do fd="${fd##*/}"; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
    setsid "$@" </dev/null >>"$logfile" 2>&1 &
    echo $! >"$pidfile" )
}

# SIGKILL a process we started (by its pid file) and, for a postmaster, its backends
kill_by_pidfile() {
  local pidfile="$1" pid
  [ -f "$pidfile" ] || return 0
  pid="$(head -1 "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    pkill -9 -P "$pid" 2>/dev/null || true
    kill -9 "$pid" 2>/dev/null || true
  fi
}

patroni_config() {
  local i="$1" name="${members[$1]}" dir="$base/${members[$1]}"
  cat <<YAML
scope: $scope
name: $name
log:
  level: WARNING
restapi:
  listen: 127.0.0.1:$(rest_port "$i")
  connect_address: 127.0.0.1:$(rest_port "$i")
etcd3:
  hosts: 127.0.0.1:$etcd_port
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: 'on'
        wal_log_hints: 'on'
        max_wal_senders: 10
        max_replication_slots: 10
        max_connections: 200
  initdb:
    - encoding: UTF8
    - auth-host: scram-sha-256
    - auth-local: peer
postgresql:
  listen: 127.0.0.1:$(pg_port "$i")
  connect_address: 127.0.0.1:$(pg_port "$i")
  data_dir: $dir/data
  bin_dir: $bin
  pgpass: $dir/pgpass
  # the replica is cloned with pg_basebackup; a fast checkpoint, not a spread one (minutes on an idle server)
  basebackup:
    - checkpoint: fast
  authentication:
    superuser:
      username: postgres
      password: $superuser_password
    replication:
      username: replicator
      password: $replication_password
  parameters:
    unix_socket_directories: /var/run/postgresql
  pg_hba:
    - local all all peer
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
YAML
}

haproxy_config() {
  cat <<CFG
global
  maxconn 500
defaults
  mode tcp
  timeout connect 2s
  timeout client 30m
  timeout server 30m
  timeout check 1s
listen central
  bind 127.0.0.1:$port
  option httpchk GET /primary
  http-check expect status 200
  default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
  server ${members[0]} 127.0.0.1:$(pg_port 0) maxconn 200 check port $(rest_port 0)
  server ${members[1]} 127.0.0.1:$(pg_port 1) maxconn 200 check port $(rest_port 1)
CFG
}

patronictl_() { runuser -u postgres -- patronictl -c "$base/${members[0]}/patroni.yml" "$@"; }

# the member whose Patroni answers GET /primary (the leader that takes writes), by its REST API
leader() {
  local i
  for i in 0 1; do
    if curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$(rest_port "$i")/primary"; then echo "${members[$i]}"; return 0; fi
  done
}

# a member is the synchronous standby, streaming (Patroni's GET /sync answers 200 on it only)
synchronous() {
  local i
  for i in 0 1; do
    if curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$(rest_port "$i")/sync"; then return 0; fi
  done
  return 1
}

start_patroni() {
  local i="$1" dir="$base/${members[$1]}"
  if pid_alive "$dir/patroni.pid"; then return 0; fi
  daemon "$dir/patroni.pid" "$dir/patroni.log" env HOME=/var/lib/postgresql setpriv --reuid postgres --regid postgres --init-groups patroni "$dir/patroni.yml"
}

# waits up to $2 seconds for $1 (a command) to succeed
wait_for() {
  local what="$1" deadline=$((SECONDS + $2))
  until eval "$what" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then echo "[ha] timed out after $2 s waiting for: $what" >&2; return 1; fi
    sleep 0.2
  done
}

down() {
  kill_by_pidfile "$base/haproxy.pid"
  for member in "${members[@]}"; do
    # Patroni first, so it does not start its PostgreSQL again; then the postmaster
    kill_by_pidfile "$base/$member/patroni.pid"
    if [ -f "$base/$member/data/postmaster.pid" ]; then kill_by_pidfile "$base/$member/data/postmaster.pid"; fi
  done
  kill_by_pidfile "$base/etcd.pid"
  rm -rf "$base"
}

up() {
  if ! command -v patroni >/dev/null || ! command -v etcd >/dev/null || ! command -v haproxy >/dev/null; then
    log "installing patroni, etcd-server and haproxy with apt"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq patroni etcd-server haproxy >/dev/null
  fi
  # from a known empty state: whatever an earlier (crashed) run left is stopped and removed
  down
  mkdir -p "$base/etcd"
  daemon "$base/etcd.pid" "$base/etcd.log" etcd --name rtd-ha --data-dir "$base/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$((etcd_port + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
    --initial-cluster "rtd-ha=http://127.0.0.1:$((etcd_port + 1))" --initial-cluster-state new
  wait_for "curl -sf http://127.0.0.1:$etcd_port/health" 30
  for i in 0 1; do
    dir="$base/${members[$i]}"
    mkdir -p "$dir"
    patroni_config "$i" >"$dir/patroni.yml"
    chown -R postgres:postgres "$dir"
    chmod 700 "$dir"
  done
  # the first member bootstraps the cluster (initdb) and leads; the second clones it (pg_basebackup) and follows
  start_patroni 0
  wait_for "curl -sf http://127.0.0.1:$(rest_port 0)/primary" 90
  start_patroni 1
  haproxy_config >"$base/haproxy.cfg"
  daemon "$base/haproxy.pid.parent" "$base/haproxy.log" haproxy -db -f "$base/haproxy.cfg"
  mv "$base/haproxy.pid.parent" "$base/haproxy.pid"
  wait_for "runuser -u postgres -- $bin/pg_isready -q -h 127.0.0.1 -p $port" 30
  RTD_POSTGRES_PORT="$(pg_port 0)" "$here/postgres/apply-roles.sh" >/dev/null
  # the standby is synchronous: from here on every acknowledged commit is on both
  wait_for synchronous 120
  log "up: leader $(leader), HAProxy 127.0.0.1:$port (ConnectionStrings__Central=Host=127.0.0.1;Port=$port;Database=$RTD_POSTGRES_CENTRAL_DATABASE;Username=$RTD_POSTGRES_CONTROLLER_USER;Password=...)"
}

kill_primary() {
  local name i
  name="$(leader)"
  [ -n "$name" ] || { echo "[ha] no leader to kill" >&2; exit 1; }
  for i in 0 1; do
    if [ "${members[$i]}" = "$name" ]; then
      kill_by_pidfile "$base/$name/patroni.pid"
      kill_by_pidfile "$base/$name/data/postmaster.pid"
    fi
  done
  echo "$name"
}

case "${1:-}" in
  up) up ;;
  down) down; log "down: stopped, data removed" ;;
  status) patronictl_ list ;;
  kill-primary) kill_primary ;;
  rejoin)
    for i in 0 1; do start_patroni "$i"; done
    log "every member's Patroni runs; a member that was down rejoins as a replica"
    ;;
  wait) wait_for '[ -n "$(leader)" ] && synchronous' 120 ;;
  leader) leader ;;
  address) echo "127.0.0.1:$port" ;;
  *) usage ;;
esac
