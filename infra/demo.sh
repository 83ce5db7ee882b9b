#!/usr/bin/env bash
# The main job: brings up RabbitMQ and PostgreSQL (installing RabbitMQ when missing), builds, and runs `rtd demo`:
# the central controller, a distributor and a client per site. Extra arguments go to rtd demo (e.g. --duration 30s).
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/env.sh
infra/services-up.sh
dotnet build RealTimeDistributor.sln -c Release -nologo -v quiet
exec dotnet src/RealTimeDistributor.Cli/bin/Release/net10.0/rtd.dll demo --sites "$(echo $RTD_SITES | tr ' ' ',')" "$@"
