#!/usr/bin/env bash
# Starts, stops or removes a PostgreSQL instance of its own on this machine, beside the shared one (port 5432): a site's
# replica database server, apart from the center's (issue 14, docs/deployment.md). initdb and pg_ctl run as the postgres
# user into a folder of the instance's own; it listens on 127.0.0.1:PORT with scram-sha-256, and has the login role
# $RTD_POSTGRES_USER (password $RTD_POSTGRES_PASSWORD, CREATEDB), which the demo and the tests connect as (the distributor's
# migrations create its replica database).
#
#   instance.sh start NAME PORT     initdb (first time) and start instance NAME on PORT (idempotent)
#   instance.sh stop NAME           stop it (fast shutdown; its data stays)
#   instance.sh kill NAME           stop it at once (immediate shutdown: a crash, for fault tests)
#   instance.sh reset NAME          stop it and delete its data (a lost replica: the distributor rebuilds it from the center)
#   instance.sh status NAME         running or not, and its port
#
# Data and log live under $RTD_POSTGRES_INSTANCES (default /var/lib/postgresql/rtd-instances/NAME).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=../env.sh
source "$here/env.sh"
base="${RTD_POSTGRES_INSTANCES:-/var/lib/postgresql/rtd-instances}"
bin="${RTD_POSTGRES_BIN:-/usr/lib/postgresql/15/bin}"

usage() { sed -n '2,15p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
command="$1"; name="$2"; shift 2
[[ "$name" =~ ^[a-z0-9-]+$ ]] || { echo "[instance] NAME must be lower-case letters, digits and -" >&2; exit 2; }
dir="$base/$name"
data="$dir/data"
as_postgres() { runuser -u postgres -- "$@"; }
running() { [ -f "$data/postmaster.pid" ] && as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

case "$command" in
  start)
    [ $# -eq 1 ] || usage
    port="$1"
    mkdir -p "$dir"
    chown postgres:postgres "$base" "$dir"
    if running; then echo "[instance] $name is already running (port $(cat "$dir/port"))"; exit 0; fi
    if [ ! -f "$data/PG_VERSION" ]; then
      as_postgres "$bin/initdb" -D "$data" -U postgres --auth-local=peer --auth-host=scram-sha-256 -E UTF8 >/dev/null
      printf "\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nmax_connections = 200\n" "$dir" >> "$data/postgresql.conf"
      printf 'local all all peer\nhost all all 127.0.0.1/32 scram-sha-256\n' > "$data/pg_hba.conf"
      chown postgres:postgres "$data/pg_hba.conf"
      fresh=1
    fi
    echo "$port" > "$dir/port"
    # the server is a daemon: it must not inherit this shell's open files (a caller's pipes, or a lock held with flock,
    # would stay open as long as it runs)
    ( for fd in /proc/$BASHPID/fd/*; do fd="${fd##*/}"; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
      as_postgres "$bin/pg_ctl" -D "$data" -o "-p $port" -l "$dir/postgres.log" -w -t 60 start </dev/null >/dev/null )
    if [ "${fresh:-0}" = 1 ]; then
      as_postgres "$bin/psql" -h "$dir" -p "$port" -X -q -v ON_ERROR_STOP=1 -d postgres \
        -c "CREATE ROLE \"$RTD_POSTGRES_USER\" LOGIN CREATEDB PASSWORD '$RTD_POSTGRES_PASSWORD'" >/dev/null
    fi
    echo "[instance] $name is up: 127.0.0.1:$port (user $RTD_POSTGRES_USER), data $data"
    ;;
  stop|kill)
    if running; then as_postgres "$bin/pg_ctl" -D "$data" -m "$([ "$command" = kill ] && echo immediate || echo fast)" -w stop >/dev/null; fi
    echo "[instance] $name is stopped"
    ;;
  reset)
    if running; then as_postgres "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null; fi
    rm -rf "$dir"
    echo "[instance] $name is stopped and its data deleted"
    ;;
  status)
    if running; then echo "[instance] $name is running on 127.0.0.1:$(cat "$dir/port")"; else echo "[instance] $name is not running"; exit 1; fi
    ;;
  *) usage ;;
esac
