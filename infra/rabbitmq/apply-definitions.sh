#!/usr/bin/env bash
# Declares the virtual hosts and users of a local RealTimeDistributor broker. Idempotent.
# central vhost: rtd-central; one vhost per site: rtd-<site>. The admin user and the all-permissions `rtd` user (kept for
# the tests' own vhosts) are declared here; the per-role users (roles.conf) by apply-roles.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
source "$here/env.sh"

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
ensure_user "$RTD_RABBITMQ_USER" "$RTD_RABBITMQ_PASSWORD" management
for vhost in rtd-central $(for s in $RTD_SITES; do echo "rtd-$s"; done); do
  ensure_vhost "$vhost"
  rabbitmqctl -q set_permissions -p "$vhost" "$RTD_RABBITMQ_ADMIN_USER" '.*' '.*' '.*' >/dev/null
  rabbitmqctl -q set_permissions -p "$vhost" "$RTD_RABBITMQ_USER" '.*' '.*' '.*' >/dev/null
done
# one user per role, with the permissions in roles.conf (the one place those regexes live)
"$here/rabbitmq/apply-roles.sh"
# the guest account only works from localhost; it is removed so nothing depends on it
rabbitmqctl -q list_users | awk '{print $1}' | grep -qx guest && rabbitmqctl -q delete_user guest >/dev/null || true
echo "[rabbitmq] vhosts rtd-central $(for s in $RTD_SITES; do printf 'rtd-%s ' "$s"; done)and users $RTD_RABBITMQ_ADMIN_USER, $RTD_RABBITMQ_USER are declared"
