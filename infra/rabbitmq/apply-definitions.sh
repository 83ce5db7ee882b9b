#!/usr/bin/env bash
# Declares the virtual hosts and users of a local RealTimeDistributor broker. Idempotent.
# central vhost: rtd-central; one vhost per site: rtd-<site>. The admin user is declared here, the per-role users
# (roles.conf) by apply-roles.sh, each workstation's by workstation.sh add. There is no full-rights application user:
# the tests' one (RTD_RABBITMQ_USER) exists only while they run (test-user.sh, called by infra/test.sh).
# The local-demo-* passwords of infra/env.sh are refused unless RTD_ALLOW_DEMO_SECRETS=1 (infra/demo.sh, infra/test.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
source "$here/env.sh"
source "$here/rabbitmq/secrets.sh"
refuse_demo_secret RTD_RABBITMQ_ADMIN_PASSWORD

ensure_user() { # name password tags
  if rabbitmqctl -q list_users | awk '{print $1}' | grep -qx "$1"; then
    rabbitmqctl -q change_password "$1" "$2" >/dev/null
  else
    rabbitmqctl -q add_user "$1" "$2" >/dev/null
  fi
  rabbitmqctl -q set_user_tags "$1" "$3" >/dev/null
}
ensure_vhost() {
  rabbitmqctl -q list_vhosts | grep -qx "$1" || rabbitmqctl -q add_vhost "$1" >/dev/null
}

ensure_user "$RTD_RABBITMQ_ADMIN_USER" "$RTD_RABBITMQ_ADMIN_PASSWORD" administrator
for vhost in rtd-central $(for s in $RTD_SITES; do echo "rtd-$s"; done); do
  ensure_vhost "$vhost"
  rabbitmqctl -q set_permissions -p "$vhost" "$RTD_RABBITMQ_ADMIN_USER" '.*' '.*' '.*' >/dev/null
done
# the shared exchanges of topology.conf (generated from Topology.cs), through the management HTTP API: no role may
# configure them, the hosts only check they exist
api="http://${RTD_RABBITMQ_HOST}:${RTD_RABBITMQ_MANAGEMENT_PORT:-15672}/api"
while read -r kind vhost name type; do
  [[ -z "$kind" || "$kind" == \#* ]] && continue
  for site in $( [[ "$vhost$name" == *"{site}"* ]] && echo $RTD_SITES || echo - ); do
    v="${vhost//\{central\}/${RTD_RABBITMQ_CENTRAL_VHOST:-rtd-central}}" n="$name"
    v="${v//\{site\}/$site}" n="${n//\{site\}/$site}"
    curl -fsS -u "$RTD_RABBITMQ_ADMIN_USER:$RTD_RABBITMQ_ADMIN_PASSWORD" -X PUT -H 'content-type: application/json' \
      "$api/exchanges/$v/$n" -d "{\"type\":\"$type\",\"durable\":true,\"auto_delete\":false}" >/dev/null
  done
done <"$here/rabbitmq/topology.conf"
# upgrade (2026-12): the central vhost's queues that outlive a connection are all quorum queues now; a classic one left
# by an earlier version would refuse the hosts' declaration (PRECONDITION_FAILED x-queue-type). What they hold is
# replaced anyway (real-time batches by the next full refresh, snapshot requests by their requester's retry, peripheral
# events by the gateway resync the center asks for on the gap), so they are deleted and the hosts declare them again.
central="${RTD_RABBITMQ_CENTRAL_VHOST:-rtd-central}"
rabbitmqctl -q list_queues -p "$central" name type 2>/dev/null \
  | awk '$2 == "classic" && $1 ~ /^rtd\.(central\.(config-snapshots|realtime-snapshots|activity-events)|[a-z0-9-]+\.distributor\.realtime)$/ {print $1}' \
  | while read -r queue; do
      rabbitmqctl -q -p "$central" delete_queue "$queue" >/dev/null </dev/null
      echo "[rabbitmq] classic queue $central/$queue deleted: it is a quorum queue now, declared again by its host"
    done
# one user per role, with the permissions in roles.conf (the one place those regexes live)
"$here/rabbitmq/apply-roles.sh"
# the guest account only works from localhost; it is removed so nothing depends on it
rabbitmqctl -q list_users | awk '{print $1}' | grep -qx guest && rabbitmqctl -q delete_user guest >/dev/null || true
echo "[rabbitmq] vhosts rtd-central $(for s in $RTD_SITES; do printf 'rtd-%s ' "$s"; done)and user $RTD_RABBITMQ_ADMIN_USER are declared"
