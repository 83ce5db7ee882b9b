#!/usr/bin/env bash
# A three-node RabbitMQ cluster on this machine, for the central broker (docs/deployment.md, "Central broker cluster"):
# nodes rtd-c1, rtd-c2, rtd-c3 on AMQP ports 5701-5703 (management 15701-15703), one Erlang cookie, formed with
# infra/rabbitmq/node.sh, with the same vhosts and users as the single local broker (apply-definitions.sh).
# Processes reach it with RabbitMq__Hosts=127.0.0.1:5701,127.0.0.1:5702,127.0.0.1:5703.
#
#   cluster.sh up       start the three nodes (idempotent) and declare the vhosts and users
#   cluster.sh down     stop them (data kept)
#   cluster.sh reset    stop them and delete their data
#   cluster.sh status   the cluster's running nodes
#   cluster.sh hosts    print the RabbitMq__Hosts value
#   cluster.sh node     print the first node's name (RABBITMQ_NODENAME=$(cluster.sh node) points rabbitmqctl and the
#                       scripts that use it, e.g. test-user.sh, at the cluster)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
first_port="${RTD_CLUSTER_FIRST_PORT:-5701}"
names=(rtd-c1 rtd-c2 rtd-c3)
host="$(hostname -s)"

case "${1:-}" in
  up)
    for i in 0 1 2; do "$here/node.sh" start "${names[$i]}" "$((first_port + i))"; done
    for i in 1 2; do "$here/node.sh" join "${names[$i]}" "${names[0]}"; done
    RABBITMQ_NODENAME="${names[0]}@$host" RTD_RABBITMQ_MANAGEMENT_PORT="$((first_port + 10000))" "$here/apply-definitions.sh"
    echo "[cluster] up: RabbitMq__Hosts=$("$0" hosts)"
    ;;
  down)  for name in "${names[@]}"; do "$here/node.sh" stop "$name"; done ;;
  reset) for name in "${names[@]}"; do "$here/node.sh" reset "$name"; done ;;
  status) "$here/node.sh" ctl "${names[0]}" -q cluster_status ;;
  node) echo "${names[0]}@$host" ;;
  hosts) echo "127.0.0.1:${first_port},127.0.0.1:$((first_port + 1)),127.0.0.1:$((first_port + 2))" ;;
  *) sed -n '2,14p' "$0" >&2; exit 2 ;;
esac
