#!/usr/bin/env bash
# The main job: brings up RabbitMQ and PostgreSQL (installing RabbitMQ when missing), builds, and runs `rtd-lab demo`:
# the central controller, a distributor and a client per site, over a simulated contact center. Extra arguments go to
# rtd-lab demo, e.g. --duration 60s, --agents 2000, --sites 4 (site-a .. site-d) or --sites site-a,site-b; --topology sites
# (below) gives the last site a stack of its own behind a WAN link.
# The broker's vhosts and users are made for the demo's sites: RTD_SITES, set from --sites (rtd-lab demo's default).
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/env.sh
# a local demo: the local-demo-* passwords of infra/env.sh are allowed (the broker scripts refuse them otherwise)
export RTD_ALLOW_DEMO_SECRETS=1
args=("$@")
for i in "${!args[@]}"; do
  if [[ "${args[$i]}" == "--sites" && $((i + 1)) -lt ${#args[@]} ]]; then
    sites="${args[$((i + 1))]}"
    if [[ "$sites" =~ ^[0-9]+$ ]]; then
      sites="$(for ((n = 0; n < sites; n++)); do printf 'site-%b ' "\\x$(printf '%x' $((97 + n)))"; done)"
    fi
    export RTD_SITES="$(echo "${sites//,/ }" | xargs)"
  fi
done
# --topology sites (issue 14, docs/deployment.md): the last site runs its own stack: a RabbitMQ node of its own (AMQP 5710,
# management 15710), a PostgreSQL instance of its own (5440), and its distributor reaches the center through a WAN link
# (`rtd-lab wan proxy`, 127.0.0.1:5719 -> the central broker) that `rtd-lab wan cut|restore SITE` cuts and restores.
topology=one
rest=()
for ((i = 0; i < ${#args[@]}; i++)); do
  if [[ "${args[$i]}" == "--topology" ]]; then topology="${args[$((i + 1))]:-}"; i=$((i + 1)); else rest+=("${args[$i]}"); fi
done
[[ "$topology" == one || "$topology" == sites ]] || { echo "--topology is one or sites, not '$topology'" >&2; exit 2; }
infra/services-up.sh
# each site's demo workstation (ws1, the client process) and a terminal one (rtd client) get their own broker credential
for site in $RTD_SITES; do
  for ws in ws1 terminal; do infra/rabbitmq/workstation.sh add "$site" "$ws"; done
done
dotnet build RealTimeDistributor.sln -c Release -nologo -v quiet
# rtd and rtd-lab on the PATH (/usr/local/bin), as the demo's banner and README write them
infra/install-cli.sh
rtd_lab=(dotnet src/RealTimeDistributor.Lab/bin/Release/net10.0/rtd-lab.dll)
if [[ "$topology" == sites ]]; then
  site="$(echo "${RTD_SITES:-site-a site-b}" | awk '{print $NF}')"
  export RTD_SITE_STACK="$site" RTD_SITE_RABBITMQ_PORT=5710 RTD_SITE_POSTGRES_PORT=5440 RTD_WAN_PORT=5719
  infra/rabbitmq/node.sh start "rtd-$site" "$RTD_SITE_RABBITMQ_PORT"
  RTD_API="http://127.0.0.1:$((RTD_SITE_RABBITMQ_PORT + 10000))/api" RTD_ADMIN_USER=guest RTD_ADMIN_PASSWORD=guest \
    RTD_USER="$RTD_RABBITMQ_USER" RTD_PASSWORD="$RTD_RABBITMQ_PASSWORD" RTD_SITES="$site" python3 infra/rabbitmq/apply-definitions.py
  # the site's workstations log in to the site's broker: their credentials live there
  for ws in ws1 terminal; do RABBITMQ_NODENAME="rtd-$site@$(hostname -s)" infra/rabbitmq/workstation.sh add "$site" "$ws"; done
  infra/postgres/instance.sh start "rtd-$site" "$RTD_SITE_POSTGRES_PORT"
  mkdir -p .rtd/logs # beside the demo's other logs (ignored by git)
  "${rtd_lab[@]}" wan proxy "$site" --listen "127.0.0.1:$RTD_WAN_PORT" --to "$RTD_RABBITMQ_HOST:$RTD_RABBITMQ_PORT" > ".rtd/logs/wan-$site.log" 2>&1 &
  wan=$!
  trap 'kill $wan 2>/dev/null || true' EXIT
  "${rtd_lab[@]}" demo "${rest[@]}"
else
  exec "${rtd_lab[@]}" demo "${rest[@]}"
fi
