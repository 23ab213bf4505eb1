# Keeps nginx's `upstream api` to the API replicas that are ready, then runs nginx: "$@" is its
# command line (`nginx -g 'daemon off;'`).
#
# Why: Debian's nginx 1.22 resolves upstream names only at start and reload, and a replica that is
# starting, draining (it answers readiness 503 for DRAIN_SECONDS after SIGTERM) or gone must get no
# new request. So every UPSTREAM_INTERVAL seconds this resolves every replica by the role's shared
# network alias, probes each one's readiness, writes the ready ones to UPSTREAM_FILE and reloads
# nginx (graceful: old workers finish their requests) when that set changed. Replicas added,
# replaced or removed by `pulumi up` are picked up without touching this container.
#
# When no replica is ready (a database outage makes them all unready at once) it keeps the ones
# of the current set that still exist: their 503s say what is wrong, which `no replica` would not.
# With none at all, the upstream is nginx's own 503 listener (UPSTREAM_NONE).
#
# Environment: UPSTREAM_HOST, UPSTREAM_PORT, UPSTREAM_PROBE (path), UPSTREAM_INTERVAL (seconds),
# UPSTREAM_FILE, UPSTREAM_SERVER_PARAMS (e.g. "max_fails=3 fail_timeout=10s"), UPSTREAM_NONE.
set -u

resolved() {
  getent ahostsv4 "$UPSTREAM_HOST" 2>/dev/null | awk '{print $1}' | sort -u
}

ready() {
  for address in "$@"; do
    if wget -q -T 1 -t 1 -O /dev/null "http://$address:$UPSTREAM_PORT$UPSTREAM_PROBE" 2>/dev/null; then
      echo "$address"
    fi
  done
}

write_upstreams() {
  if [ -z "$1" ]; then
    echo "server $UPSTREAM_NONE;"
  else
    for address in $1; do
      echo "server $address:$UPSTREAM_PORT $UPSTREAM_SERVER_PARAMS;"
    done
  fi >"$UPSTREAM_FILE.new" && mv "$UPSTREAM_FILE.new" "$UPSTREAM_FILE"
}

# The set this pass would have nginx use (one address per line, sorted).
wanted() {
  found=$(resolved)
  # shellcheck disable=SC2086 # one word per address
  up=$(ready $found)
  if [ -z "$up" ] && [ -n "$current" ]; then
    up=$(printf '%s\n' "$current" | grep -Fx "$found" || true)
  fi
  printf '%s' "$up"
}

# shellcheck disable=SC2048,SC2086 # on one line, one word per address
words() { echo ${*:-none}; }

current=""
current=$(wanted)
write_upstreams "$current"
echo "upstreams: start with $(words "$current")" >&2

(
  while sleep "$UPSTREAM_INTERVAL"; do
    next=$(wanted)
    [ "$next" = "$current" ] && continue
    write_upstreams "$next"
    # The same binary and options as the server below ("$@"), to test the config and signal it.
    if "$@" -t -q 2>/dev/null && "$@" -s reload 2>/dev/null; then
      echo "upstreams: $(words "$next") (was $(words "$current"))" >&2
      current=$next
    else
      echo "upstreams: reload failed; trying again in ${UPSTREAM_INTERVAL}s" >&2
    fi
  done
) &

exec "$@"
