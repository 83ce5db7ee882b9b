#!/usr/bin/env bash
# Declares the PostgreSQL login role RealTimeDistributor uses locally. Idempotent.
# Databases (central, one replica per site) are created by the hosts' EF Core migrations.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
source "$here/env.sh"
cd /
su postgres -c "psql -q -v ON_ERROR_STOP=1 -p $RTD_POSTGRES_PORT" <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$RTD_POSTGRES_USER') THEN
    CREATE ROLE "$RTD_POSTGRES_USER" LOGIN CREATEDB PASSWORD '$RTD_POSTGRES_PASSWORD';
  ELSE
    ALTER ROLE "$RTD_POSTGRES_USER" LOGIN CREATEDB PASSWORD '$RTD_POSTGRES_PASSWORD';
  END IF;
END
\$\$;
SQL
