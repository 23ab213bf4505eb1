# shellcheck shell=bash
# Shared helpers for every script in scripts/. Source it; do not run it.
# Everything here is idempotent: calling an ensure_* twice costs one check the second time.

set -euo pipefail

PG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PG_VENV="$PG_ROOT/.venv"
PG_CACHE="$PG_ROOT/.cache"
PG_BASE_IMAGE="${PG_BASE_IMAGE:-proving-ground/debian-base:bookworm}"
export PG_ROOT PG_VENV PG_CACHE PG_BASE_IMAGE

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 2; }
# elapsed_since START: seconds since START (an $EPOCHREALTIME value), one decimal.
elapsed_since() { awk -v from="$1" -v to="$EPOCHREALTIME" 'BEGIN { printf "%.1f", to - from }'; }

# parse_stack_args USAGE "$@": handles --stack NAME and --help; leaves the rest in PG_ARGS.
PG_STACK=dev
PG_ARGS=()
parse_stack_args() {
  local usage=$1
  shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --stack) [ $# -ge 2 ] || die "--stack needs a name"; PG_STACK=$2; shift 2 ;;
      --stack=*) PG_STACK=${1#--stack=}; shift ;;
      -h|--help) printf '%s\n' "$usage"; exit 0 ;;
      *) PG_ARGS+=("$1"); shift ;;
    esac
  done
  [[ "$PG_STACK" =~ ^[a-z][a-z0-9-]{0,30}$ ]] \
    || die "--stack '$PG_STACK' is not a valid stack name (lowercase letters, digits and '-', starting with a letter, at most 31 characters)"
  export PG_STACK
}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# ensure_apt PKG...: installs the Debian packages that are not installed yet.
ensure_apt() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ensure_venv: .venv with requirements-dev.txt (and the files it includes) installed, and the
# project's own packages (kit, infra, load; the API's app) editable; reinstalls only when one of
# those files changed.
ensure_venv() {
  local stamp="$PG_VENV/.requirements.sha256" want
  want=$(cat "$PG_ROOT/requirements-dev.txt" "$PG_ROOT"/services/api/requirements*.txt \
    "$PG_ROOT"/infra/requirements.txt "$PG_ROOT"/load/requirements.txt \
    "$PG_ROOT"/kit/requirements.txt "$PG_ROOT"/pyproject.toml "$PG_ROOT"/services/api/pyproject.toml \
    2>/dev/null | sha256sum | cut -d' ' -f1)
  if [ -x "$PG_VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    export PATH="$PG_VENV/bin:$PATH"
    return 0
  fi
  log "preparing the virtualenv in .venv (requirements changed or missing)"
  [ -x "$PG_VENV/bin/python" ] || python3 -m venv "$PG_VENV"
  # Some machines' pip.conf lists local indexes that may be absent; their warnings are noise.
  { "$PG_VENV/bin/pip" install -q --upgrade pip 2>&1 | { grep -v 'is ignored: it is neither' || true; }; } >&2
  { "$PG_VENV/bin/pip" install -q -r "$PG_ROOT/requirements-dev.txt" 2>&1 | { grep -v 'is ignored: it is neither' || true; }; } >&2
  # Editable, dependencies already above: imports resolve to this checkout, no PYTHONPATH needed.
  # compat mode: a static .pth entry (the repo root, services/api) that mypy and pytest follow too.
  mkdir -p "$PG_CACHE"
  "$PG_VENV/bin/pip" install -q --no-deps --config-settings editable_mode=compat \
    -e "$PG_ROOT" -e "$PG_ROOT/services/api" >"$PG_CACHE/pip-editable.log" 2>&1 \
    || { tail -n 20 "$PG_CACHE/pip-editable.log" >&2; die "editable install failed (log: .cache/pip-editable.log)"; }
  echo "$want" >"$stamp"
  export PATH="$PG_VENV/bin:$PATH"
}

# ensure_dockerd: a reachable Docker engine; installs docker.io and starts dockerd if needed.
ensure_dockerd() {
  docker info >/dev/null 2>&1 && return 0
  command -v dockerd >/dev/null 2>&1 || ensure_apt docker.io iptables
  command -v docker >/dev/null 2>&1 || ensure_apt docker.io
  mkdir -p "$PG_CACHE"
  if ! pgrep -x dockerd >/dev/null; then
    log "starting dockerd (log: .cache/dockerd.log)"
    as_root nohup dockerd >"$PG_CACHE/dockerd.log" 2>&1 &
  fi
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  tail -n 20 "$PG_CACHE/dockerd.log" >&2 || true
  die "the Docker engine did not become reachable within 30 s"
}

# ensure_base_image: the local Debian bookworm base (no registry needed), built once, then cached.
# The host CA bundle goes in so that apt and pip inside builds trust this network's TLS.
# Bump when the recipe below changes: an older local base is then rebuilt (and images on it).
PG_BASE_RECIPE=2
ensure_base_image() {
  docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$PG_BASE_IMAGE" 2>/dev/null \
    | grep -qx "PG_BASE_RECIPE=$PG_BASE_RECIPE" && return 0
  ensure_apt debootstrap ca-certificates
  mkdir -p "$PG_CACHE"
  local dir
  dir=$(mktemp -d)
  log "building the Debian base image $PG_BASE_IMAGE with debootstrap (once; a few minutes)"
  as_root debootstrap --variant=minbase bookworm "$dir" http://deb.debian.org/debian >"$PG_CACHE/debootstrap.log" 2>&1 \
    || { tail -n 20 "$PG_CACHE/debootstrap.log" >&2; as_root rm -rf "$dir"; die "debootstrap failed (log: .cache/debootstrap.log)"; }
  # debootstrap configures bookworm main only: add the point-release and security updates.
  cat >"$dir/etc/apt/sources.list" <<'SOURCES'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
  mkdir -p "$dir/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
  as_root rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
  as_root tar -C "$dir" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt' \
    --change "ENV PG_BASE_RECIPE=$PG_BASE_RECIPE" \
    --change 'CMD ["bash"]' - "$PG_BASE_IMAGE" >/dev/null
  as_root rm -rf "$dir"
  log "base image $PG_BASE_IMAGE ready"
}
