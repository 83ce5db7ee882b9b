#!/usr/bin/env bash
# Brings up the local services RealTimeDistributor needs, on a Debian 12 machine without Docker:
# RabbitMQ (installed with apt when missing, management plugin on) and the PostgreSQL 15 cluster.
# Idempotent: running it twice, or with the services already up, is fine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=infra/env.sh
source "$here/env.sh"

log() { printf '[services-up] %s\n' "$*"; }

# ---------- RabbitMQ ----------
if ! command -v rabbitmq-server >/dev/null 2>&1; then
  log "installing rabbitmq-server with apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq rabbitmq-server >/dev/null
fi
if ! rabbitmqctl -q status >/dev/null 2>&1; then
  rabbitmq-plugins enable --offline rabbitmq_management >/dev/null
  log "starting rabbitmq-server"
  rabbitmq-server -detached
  for _ in $(seq 1 60); do
    rabbitmqctl -q await_startup >/dev/null 2>&1 && break
    sleep 1
  done
  rabbitmqctl -q await_startup >/dev/null
fi
log "RabbitMQ is up (AMQP ${RTD_RABBITMQ_HOST}:${RTD_RABBITMQ_PORT}, management http://${RTD_RABBITMQ_HOST}:15672)"
# queue depths and consumers for Prometheus (infra/prometheus): the broker's own exporter on :15692; enabling it is
# online (no restart), and a no-op when it is on
rabbitmq-plugins -q enable rabbitmq_prometheus >/dev/null
"$here/rabbitmq/apply-definitions.sh"

# ---------- Prometheus (installed only: infra/prometheus/prometheus.sh runs it; the tests run promtool) ----------
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
  log "installing prometheus with apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

# ---------- PostgreSQL ----------
if ! pg_lsclusters -h 2>/dev/null | awk '$1=="15" && $2=="main"' | grep -q .; then
  log "creating PostgreSQL 15 cluster 'main'"
  pg_createcluster 15 main >/dev/null
fi
if ! pg_lsclusters -h | awk '$1=="15" && $2=="main" {print $4}' | grep -q online; then
  log "starting PostgreSQL 15"
  pg_ctlcluster 15 main start
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "${RTD_POSTGRES_PORT}" && break
  sleep 1
done
"$here/postgres/apply-roles.sh"
log "PostgreSQL is up (127.0.0.1:${RTD_POSTGRES_PORT})"
