#!/usr/bin/env bash
# Declares the PostgreSQL login roles and databases of RealTimeDistributor. Idempotent; runs as root (psql as postgres).
#
# One role per process, each the owner of its one database and allowed to connect to nothing else of ours:
#   - the central controller: role $RTD_POSTGRES_CONTROLLER_USER (rtd_controller) owns $RTD_POSTGRES_CENTRAL_DATABASE
#     (rtd_central);
#   - a site's distributor, for each site of $RTD_SITES: role rtd_<site>_distributor owns the replica
#     ${RTD_POSTGRES_REPLICA_DATABASE_PREFIX}<site> (rtd_site_a), "-" written as "_".
# CONNECT and TEMPORARY are revoked from PUBLIC on each of these databases, so one role cannot even open another's
# database; the roles have no CREATEDB (the databases exist before the hosts start; their migrations create the tables).
# Tables an earlier role created in a database are handed to its owner role.
# Passwords: RTD_POSTGRES_CONTROLLER_PASSWORD; RTD_POSTGRES_DISTRIBUTOR_PASSWORD_<SITE> (upper case, "-" as "_"), else
# RTD_POSTGRES_DISTRIBUTOR_PASSWORD; local-demo defaults in infra/env.sh.
#
# The role $RTD_POSTGRES_USER (rtd, CREATEDB) stays for the tests and `rtd-lab demo`, which create databases of their own.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
source "$here/env.sh"
cd /

psql_as_postgres() { runuser -u postgres -- psql -q -X -v ON_ERROR_STOP=1 -p "$RTD_POSTGRES_PORT" "$@"; }

# the shared test/demo role
psql_as_postgres -v role="$RTD_POSTGRES_USER" -v password="$RTD_POSTGRES_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB PASSWORD %L', :'role', :'password') \gexec
-- the tests drop their databases WITH (FORCE), which ends sessions that other roles (a test's controller or distributor
-- role) may still hold on them
SELECT format('GRANT pg_signal_backend TO %I', :'role') \gexec
SQL

# role $1 with password $2 owns database $3, and only it may connect to it
owner_of() {
  psql_as_postgres -v role="$1" -v password="$2" -v database="$3" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', :'role', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'role') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'database', :'role') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'database') \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'database', :'role') \gexec
\connect :"database"
SELECT format('ALTER TABLE public.%I OWNER TO %I', tablename, :'role') FROM pg_tables
 WHERE schemaname = 'public' AND tableowner <> :'role' \gexec
SQL
  echo "apply-roles: PostgreSQL role $1 owns database $3"
}

owner_of "${RTD_POSTGRES_CONTROLLER_USER}" "${RTD_POSTGRES_CONTROLLER_PASSWORD}" "${RTD_POSTGRES_CENTRAL_DATABASE}"
for site in $RTD_SITES; do
  key="$(tr 'a-z-' 'A-Z_' <<<"$site")"
  password_var="RTD_POSTGRES_DISTRIBUTOR_PASSWORD_${key}"
  owner_of "rtd_${site//-/_}_distributor" "${!password_var:-$RTD_POSTGRES_DISTRIBUTOR_PASSWORD}" \
    "${RTD_POSTGRES_REPLICA_DATABASE_PREFIX}${site//-/_}"
done
