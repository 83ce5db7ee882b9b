#!/usr/bin/env bash
# Runs every test: brings up RabbitMQ and PostgreSQL the same way the demo does, then the Cake Test target
# (dotnet format --verify-no-changes, the fast tests, the real-service tests).
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/env.sh
infra/services-up.sh
infra/rabbitmq/cluster.sh up   # the three-node central cluster the cluster fault test runs on
infra/client-tools-up.sh
dotnet tool restore
dotnet cake build.cake --target=Test
