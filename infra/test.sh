#!/usr/bin/env bash
# Runs every test: brings up RabbitMQ and PostgreSQL the same way the demo does, then the Cake Test target
# (dotnet format --verify-no-changes, the fast tests, the real-service tests), with the tests' full-rights broker user
# added before and removed after (infra/rabbitmq/test-user.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/env.sh
# the local-demo-* passwords of infra/env.sh are fine on a test machine (the scripts refuse them elsewhere)
export RTD_ALLOW_DEMO_SECRETS=1
infra/services-up.sh
# the three-node central cluster the cluster fault test runs on, started from empty data every run: a node left
# from an earlier run with its peers gone would wait minutes for them at boot and then stop
infra/rabbitmq/cluster.sh reset
infra/rabbitmq/cluster.sh up
# the central database under Patroni (etcd, two PostgreSQL, HAProxy on 5460) the central failover test runs on, from
# empty data every run and removed after it (ha.sh up cleans a leftover first)
infra/postgres/ha.sh up
# the full-rights test user exists only while the tests run
cluster="$(infra/rabbitmq/cluster.sh node)"
infra/rabbitmq/test-user.sh add
RABBITMQ_NODENAME="$cluster" infra/rabbitmq/test-user.sh add
trap 'infra/rabbitmq/test-user.sh remove; RABBITMQ_NODENAME="$cluster" infra/rabbitmq/test-user.sh remove; infra/postgres/ha.sh down' EXIT
infra/client-tools-up.sh
dotnet tool restore
dotnet cake build.cake --target=Test
