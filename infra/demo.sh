#!/usr/bin/env bash
# The main job: brings up RabbitMQ and PostgreSQL (installing RabbitMQ when missing), builds, and runs `rtd demo`:
# the central controller, a distributor and a client per site, over a simulated contact center. Extra arguments go to
# rtd demo, e.g. --duration 60s, --agents 2000, --sites 4 (site-a .. site-d) or --sites site-a,site-b.
# The broker's vhosts and users are made for the demo's sites: RTD_SITES, set from --sites (rtd demo's default).
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
infra/services-up.sh
# each site's demo workstation (ws1, the client process) and a terminal one (rtd client) get their own broker credential
for site in $RTD_SITES; do
  for ws in ws1 terminal; do infra/rabbitmq/workstation.sh add "$site" "$ws"; done
done
dotnet build RealTimeDistributor.sln -c Release -nologo -v quiet
exec dotnet src/RealTimeDistributor.Cli/bin/Release/net10.0/rtd.dll demo "${args[@]}"
