# Shared defaults for the local scripts. Every value can be overridden from the environment.
# The passwords below exist ONLY for the local demo and test machine; set your own in the
# environment (or in files outside git) anywhere else.
export RTD_RABBITMQ_HOST="${RTD_RABBITMQ_HOST:-127.0.0.1}"
export RTD_RABBITMQ_PORT="${RTD_RABBITMQ_PORT:-5672}"
export RTD_RABBITMQ_ADMIN_USER="${RTD_RABBITMQ_ADMIN_USER:-rtd-admin}"
export RTD_RABBITMQ_ADMIN_PASSWORD="${RTD_RABBITMQ_ADMIN_PASSWORD:-local-demo-admin}"
export RTD_RABBITMQ_USER="${RTD_RABBITMQ_USER:-rtd}"
export RTD_RABBITMQ_PASSWORD="${RTD_RABBITMQ_PASSWORD:-local-demo-rtd}"
# one broker user per role (infra/rabbitmq/roles.conf); per-site passwords: RTD_RABBITMQ_DISTRIBUTOR_PASSWORD_SITE_A, ...
export RTD_RABBITMQ_CONTROLLER_PASSWORD="${RTD_RABBITMQ_CONTROLLER_PASSWORD:-local-demo-controller}"
export RTD_RABBITMQ_DISTRIBUTOR_PASSWORD="${RTD_RABBITMQ_DISTRIBUTOR_PASSWORD:-local-demo-distributor}"
export RTD_RABBITMQ_WORKSTATION_PASSWORD="${RTD_RABBITMQ_WORKSTATION_PASSWORD:-local-demo-workstation}"
export RTD_RABBITMQ_OPERATOR_PASSWORD="${RTD_RABBITMQ_OPERATOR_PASSWORD:-local-demo-operator}"
export RTD_RABBITMQ_GATEWAY_PASSWORD="${RTD_RABBITMQ_GATEWAY_PASSWORD:-local-demo-gateway}"
export RTD_POSTGRES_PORT="${RTD_POSTGRES_PORT:-5432}"
export RTD_POSTGRES_USER="${RTD_POSTGRES_USER:-rtd}"
export RTD_POSTGRES_PASSWORD="${RTD_POSTGRES_PASSWORD:-local-demo-rtd}"
# one database role per process (infra/postgres/apply-roles.sh): the central controller's, and one per site's distributor
# (rtd_<site>_distributor; per-site passwords: RTD_POSTGRES_DISTRIBUTOR_PASSWORD_SITE_A, ...)
export RTD_POSTGRES_CONTROLLER_USER="${RTD_POSTGRES_CONTROLLER_USER:-rtd_controller}"
export RTD_POSTGRES_CONTROLLER_PASSWORD="${RTD_POSTGRES_CONTROLLER_PASSWORD:-local-demo-controller}"
export RTD_POSTGRES_DISTRIBUTOR_PASSWORD="${RTD_POSTGRES_DISTRIBUTOR_PASSWORD:-local-demo-distributor}"
export RTD_POSTGRES_CENTRAL_DATABASE="${RTD_POSTGRES_CENTRAL_DATABASE:-rtd_central}"
export RTD_POSTGRES_REPLICA_DATABASE_PREFIX="${RTD_POSTGRES_REPLICA_DATABASE_PREFIX:-rtd_}"
# the admin API key `rtd config` and `rtd-lab demo` send (X-Api-Key); the demo center accepts it as the editor key "demo"
export RTD_ADMIN_KEY="${RTD_ADMIN_KEY:-local-demo-admin-key}"
export RTD_SITES="${RTD_SITES:-site-a site-b}"
# the peripherals (ACDs) whose gateway users roles.conf declares: one per site, numbered as the demo numbers them
export RTD_PERIPHERALS="${RTD_PERIPHERALS:-$(seq -s ' ' 1 "$(wc -w <<<"$RTD_SITES")")}"
