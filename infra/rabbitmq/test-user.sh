#!/usr/bin/env bash
# The tests' full-rights broker user (RTD_RABBITMQ_USER, default rtd): the integration tests connect their hosts with it
# on vhosts of their own. It exists only while the tests run: infra/test.sh adds it before and removes it after.
#   test-user.sh add      creates it (password RTD_RABBITMQ_PASSWORD) with every right on the rtd vhosts; the tests'
#                         own vhosts give it rights as they make them
#   test-user.sh remove   deletes it
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
source "$here/env.sh"
source "$here/rabbitmq/secrets.sh"
case "${1:-}" in
  add)
    refuse_demo_secret RTD_RABBITMQ_PASSWORD
    rabbitmqctl -q list_users | awk '{print $1}' | grep -qx "$RTD_RABBITMQ_USER" \
      && rabbitmqctl -q change_password "$RTD_RABBITMQ_USER" "$RTD_RABBITMQ_PASSWORD" >/dev/null \
      || rabbitmqctl -q add_user "$RTD_RABBITMQ_USER" "$RTD_RABBITMQ_PASSWORD" >/dev/null
    rabbitmqctl -q set_user_tags "$RTD_RABBITMQ_USER" management >/dev/null
    for vhost in rtd-central $(for s in $RTD_SITES; do echo "rtd-$s"; done); do
      rabbitmqctl -q set_permissions -p "$vhost" "$RTD_RABBITMQ_USER" '.*' '.*' '.*' >/dev/null
    done
    echo "[rabbitmq] test user $RTD_RABBITMQ_USER added"
    ;;
  remove)
    rabbitmqctl -q delete_user "$RTD_RABBITMQ_USER" >/dev/null 2>&1 || true
    echo "[rabbitmq] test user $RTD_RABBITMQ_USER removed"
    ;;
  *) echo "usage: test-user.sh add|remove" >&2; exit 64 ;;
esac
