#!/bin/sh
# Creates one role and one database each for Prefect and MLflow.
#
# Run once on an empty PostgreSQL cluster. The official postgres image runs it by itself
# (compose.yaml mounts it into /docker-entrypoint-initdb.d/); the no-Docker stack
# (infra/localstack.py) and the integration tests run it with PGHOST/PGPORT set.
# Passwords come from the environment, never from this file:
#   POSTGRES_USER          the cluster's superuser (the image sets it)
#   PREFECT_DB_PASSWORD    password of role "prefect", owner of database "prefect"
#   MLFLOW_DB_PASSWORD     password of role "mlflow", owner of database "mlflow"
set -eu
: "${PREFECT_DB_PASSWORD:?set PREFECT_DB_PASSWORD}"
: "${MLFLOW_DB_PASSWORD:?set MLFLOW_DB_PASSWORD}"

# psql variables (:'name') quote the passwords, so any character is safe in them.
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
     -v prefect_pw="$PREFECT_DB_PASSWORD" -v mlflow_pw="$MLFLOW_DB_PASSWORD" <<'SQL'
CREATE ROLE prefect LOGIN PASSWORD :'prefect_pw';
CREATE DATABASE prefect OWNER prefect;
CREATE ROLE mlflow LOGIN PASSWORD :'mlflow_pw';
CREATE DATABASE mlflow OWNER mlflow;
-- Neither application needs the other's data, nor the right to create databases.
REVOKE ALL ON DATABASE prefect FROM PUBLIC;
REVOKE ALL ON DATABASE mlflow FROM PUBLIC;
SQL
