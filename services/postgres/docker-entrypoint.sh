#!/usr/bin/env bash
# Entrypoint compatible with the official postgres image: on an empty PGDATA, initialise a
# cluster from POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB (or their *_FILE variants), run
# /docker-entrypoint-initdb.d/*.sql|*.sh, then exec the server with the given arguments.
set -Eeuo pipefail

die() { printf 'docker-entrypoint: error: %s\n' "$*" >&2; exit 1; }

# file_env VAR [DEFAULT]: VAR's value from the environment or from the file named by VAR_FILE.
file_env() {
  local var=$1 file_var="$1_FILE" value=${2:-}
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    die "both $var and $file_var are set; set only one"
  fi
  if [ -n "${!var:-}" ]; then
    value=${!var}
  elif [ -n "${!file_var:-}" ]; then
    [ -r "${!file_var}" ] || die "$file_var names '${!file_var}', which is not a readable file"
    value=$(<"${!file_var}")
  fi
  export "$var=$value"
  unset "$file_var"
}

run_init_scripts() {
  local script
  shopt -s nullglob
  for script in /docker-entrypoint-initdb.d/*; do
    case "$script" in
      *.sh) printf 'docker-entrypoint: running %s\n' "$script"; bash "$script" ;;
      *.sql) printf 'docker-entrypoint: running %s\n' "$script"
        psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc --dbname "$POSTGRES_DB" -f "$script" ;;
      *) printf 'docker-entrypoint: ignoring %s (only *.sh and *.sql run)\n' "$script" ;;
    esac
  done
  shopt -u nullglob
}

init_cluster() {
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  local host_auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$host_auth" != trust ]; then
    die "the database is not initialised and no superuser password is set: set POSTGRES_PASSWORD" \
      "(or POSTGRES_PASSWORD_FILE) to a non-empty value, or POSTGRES_HOST_AUTH_METHOD=trust" \
      "to allow every connection without a password (never in production)"
  fi
  # Local socket connections are trusted (admin through `docker exec`) unless POSTGRES_INITDB_ARGS
  # says otherwise (e.g. --auth-local=scram-sha-256: its options come last and win); every TCP
  # connection, loopback included, must authenticate, so a wrong password is refused from anywhere.
  # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a list of initdb options, split on purpose
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --auth-local=trust --auth-host="$host_auth" $POSTGRES_INITDB_ARGS
  printf '\nhost all all all %s\n' "$host_auth" >>"$PGDATA/pg_hba.conf"

  # A temporary server on the socket only: no client can connect to a half-initialised database.
  # PGPASSWORD, as upstream: psql and the init scripts need it when the socket asks for a password.
  export PGUSER=$POSTGRES_USER PGPASSWORD=${PGPASSWORD:-$POSTGRES_PASSWORD}
  pg_ctl -D "$PGDATA" -w -o "$(printf '%q ' "$@" -c listen_addresses= -p 5432)" start
  if [ "$POSTGRES_DB" != postgres ]; then
    psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc --dbname postgres --set db="$POSTGRES_DB" \
      <<<'CREATE DATABASE :"db";'
  fi
  run_init_scripts
  pg_ctl -D "$PGDATA" -m fast -w stop
  unset PGUSER PGPASSWORD
  printf 'docker-entrypoint: PostgreSQL init process complete; ready for start up.\n'
}

# `docker run IMAGE -c key=value` means the server, like the official image.
if [ "${1:0:1}" = - ]; then
  set -- postgres "$@"
fi

if [ "$1" = postgres ]; then
  if [ "$(id -u)" = 0 ]; then
    # Started as root (e.g. a bind mount owned by root): fix ownership, then drop privileges.
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
  fi
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    init_cluster "${@:2}"
  fi
fi

exec "$@"
