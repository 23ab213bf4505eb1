#!/bin/sh
# Entrypoint compatible with the official redis image: flags or a *.conf path as the command
# mean redis-server; started as root, it fixes /data's ownership and drops to the redis user.
set -eu

case "${1:-}" in
  -* | *.conf) set -- redis-server "$@" ;;
esac

if [ "${1:-}" = redis-server ]; then
  if [ "$(id -u)" = 0 ]; then
    find . \! -user redis -exec chown redis '{}' +
    exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
  fi
  # Dumps and AOF files hold application data: readable by the redis user only.
  if [ "$(umask)" = 0022 ]; then
    umask 0077
  fi
  # The official image compiles protected mode off, so a password-less server still answers
  # other containers; Debian's build keeps it on. Without a config file, turn it off the same
  # way (an explicit --protected-mode later on the line still wins).
  shift
  case "${1:-}" in
    '' | -*) set -- redis-server --protected-mode no "$@" ;;
    *) set -- redis-server "$@" ;;
  esac
fi

exec "$@"
