#!/usr/bin/env bash
# Builds two base images named like a registry mirror of the official
# Python ones (slimpy proposes python tags, such as the -slim runtime of a
# split, only for python, library/python and a mirror's …/library/python:
# another repository named python need not publish them), from Debian
# bookworm's packages on the debootstrap base that scripts/debian-images.sh
# imports, with no container registry:
#
#   local/library/python:3.11       python3, python3-venv, python3-pip,
#                                   python3-dev, setuptools, wheel,
#                                   build-essential (the "full" image)
#   local/library/python:3.11-slim  python3 and python3-venv only
#   local/python-tools:3.11         local/library/python:3.11 with
#                                   python3-poetry, pipenv and the setuptools
#                                   and wheel wheels (python3-*-whl): the e2e
#                                   matrix locks its poetry and pipenv apps
#                                   and fills its local package index with it
#
# The end-to-end test of `slimpy fix --verify` (e2e/verify_test.go) builds
# a naive `FROM local/library/python:3.11` Dockerfile and its multistage
# rewrite (builder on local/library/python:3.11, runtime on
# local/library/python:3.11-slim) on them;
# the matrix (e2e/matrix_test.go) builds one app per common shape.
#
# Usage: scripts/python-bases.sh [--force]
#
# Re-running is quick ("cached") while VERSION, the Dockerfiles under
# scripts/python-bases/ and the base image are unchanged and the images are
# still in the engine; the tools image has a stamp of its own (TOOLS_VERSION,
# its Dockerfile, the full image's ID), so adding or changing it rebuilds it
# alone (stamps and image IDs in
# ${SLIMPY_TESTIMAGES:-/var/cache/slimpy-testimages}). The first run takes a
# few minutes (apt-get from the Debian mirror the base's apt sources name,
# which scripts/debian-images.sh read from this machine's).
#
# Needs: docker, and local/slimpy-bookworm:base (scripts/debian-images.sh).
set -euo pipefail
export LC_ALL=C

# Bump when the way the full and slim images are built changes.
VERSION=1
# Bump when the way the tools image is built changes.
TOOLS_VERSION=1

HERE=$(cd "$(dirname "$0")" && pwd)
CTX="$HERE/python-bases"
OUT=${SLIMPY_TESTIMAGES:-/var/cache/slimpy-testimages}
BASE_IMAGE=local/slimpy-bookworm:base
FULL_IMAGE=local/library/python:3.11
SLIM_IMAGE=local/library/python:3.11-slim
TOOLS_IMAGE=local/python-tools:3.11

FORCE=0
for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    *) echo "usage: $0 [--force]" >&2; exit 2 ;;
  esac
done

log() { printf '%s python-bases: %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }

image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }

# The cache key of the full and slim images: VERSION, their Dockerfiles and
# the base image they start from.
stamp() {
  {
    echo "VERSION=$VERSION base=$(image_id "$BASE_IMAGE")"
    (cd "$CTX" && find ./full ./slim -type f -print0 | sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -c1-64
}

# The tools image's: TOOLS_VERSION, its Dockerfile and the full image's ID.
tools_stamp() {
  {
    echo "TOOLS_VERSION=$TOOLS_VERSION base=$(image_id "$FULL_IMAGE")"
    (cd "$CTX" && sha256sum ./tools/Dockerfile)
  } | sha256sum | cut -c1-64
}

tools_cached() {
  [ "$FORCE" = 0 ] || return 1
  [ "$(cat "$OUT/python-tools.stamp" 2>/dev/null)" = "$(tools_stamp)" ] || return 1
  [ -n "$(image_id "$TOOLS_IMAGE")" ] && [ "$(image_id "$TOOLS_IMAGE")" = "$(cat "$OUT/python-tools.id" 2>/dev/null)" ]
}

build_tools() {
  if tools_cached; then
    log "cached: $TOOLS_IMAGE (TOOLS_VERSION=$TOOLS_VERSION)"
    return
  fi
  local start=$SECONDS
  rm -f "$OUT/python-tools.stamp"
  build "$TOOLS_IMAGE" "$CTX/tools"
  docker run --rm --network none "$TOOLS_IMAGE" sh -ec 'poetry --version; pipenv --version; ls /usr/share/python-wheels/wheel-*.whl /usr/share/python-wheels/setuptools-*.whl' ||
    die "$TOOLS_IMAGE lacks poetry, pipenv or the setuptools and wheel wheels"
  image_id "$TOOLS_IMAGE" > "$OUT/python-tools.id"
  tools_stamp > "$OUT/python-tools.stamp"
  log "done in $((SECONDS - start))s: $TOOLS_IMAGE $(docker image inspect -f '{{.Size}}' "$TOOLS_IMAGE") bytes"
}

is_cached() {
  [ "$FORCE" = 0 ] || return 1
  [ "$(cat "$OUT/python-bases.stamp" 2>/dev/null)" = "$STAMP" ] || return 1
  [ -n "$(image_id "$FULL_IMAGE")" ] && [ "$(image_id "$FULL_IMAGE")" = "$(cat "$OUT/python-full.id" 2>/dev/null)" ] || return 1
  [ -n "$(image_id "$SLIM_IMAGE")" ] && [ "$(image_id "$SLIM_IMAGE")" = "$(cat "$OUT/python-slim.id" 2>/dev/null)" ] || return 1
}

# The classic builder (no buildx here; it finds local images without a
# registry), --network host for the Debian mirror, no build context.
build() { # NAME DIR
  local name=$1 dir=$2 old logf
  old=$(image_id "$name")
  logf="$OUT/python-$(basename "$dir").build.log"
  log "docker build $name (apt-get from the Debian mirror; log $logf)"
  DOCKER_BUILDKIT=0 docker build --network host --pull=false -t "$name" - < "$dir/Dockerfile" > "$logf" 2>&1 ||
    { tail -n 40 "$logf" >&2; die "docker build $name failed (log: $logf)"; }
  [ -n "$old" ] && [ "$old" != "$(image_id "$name")" ] && docker rmi "$old" >/dev/null 2>&1 || true
}

main() {
  command -v docker >/dev/null && docker info >/dev/null 2>&1 || die "no Docker engine answers 'docker info'"
  mkdir -p "$OUT"
  exec 9> "$OUT/.python-bases.lock"
  flock 9
  [ -n "$(image_id "$BASE_IMAGE")" ] || die "$BASE_IMAGE is not in the engine: run scripts/debian-images.sh first"
  STAMP=$(stamp)
  if is_cached; then
    log "cached: $FULL_IMAGE, $SLIM_IMAGE (VERSION=$VERSION, stamp ${STAMP:0:12})"
    build_tools
    exit 0
  fi
  START=$SECONDS
  rm -f "$OUT/python-bases.stamp"
  build "$FULL_IMAGE" "$CTX/full"
  build "$SLIM_IMAGE" "$CTX/slim"
  # Both must run what their names promise.
  docker run --rm --network none "$FULL_IMAGE" sh -ec 'python3 --version; gcc --version | head -1; test -f /usr/include/python3.11/Python.h' ||
    die "$FULL_IMAGE lacks python3, gcc or Python.h"
  docker run --rm --network none "$SLIM_IMAGE" sh -ec 'python3 -c "import venv, ensurepip"; ! command -v gcc' ||
    die "$SLIM_IMAGE lacks venv/ensurepip or has a compiler"
  image_id "$FULL_IMAGE" > "$OUT/python-full.id"
  image_id "$SLIM_IMAGE" > "$OUT/python-slim.id"
  echo "$STAMP" > "$OUT/python-bases.stamp"
  log "done in $((SECONDS - START))s: $FULL_IMAGE $(docker image inspect -f '{{.Size}}' "$FULL_IMAGE") bytes, $SLIM_IMAGE $(docker image inspect -f '{{.Size}}' "$SLIM_IMAGE") bytes"
  build_tools
}

main "$@"
exit
