#!/usr/bin/env bash
# The build steps of deploy/docker/Dockerfile in one script with two callers: the
# Dockerfile RUNs it, and test/chart/docker-steps.test.ts runs the very same steps
# without Docker, so "the image builds from a clean checkout" is tested, not hoped.
#
#   build-service.sh build                  install (frozen lockfile, dev dependencies too)
#                                           and compile the whole workspace
#   build-service.sh deploy <target> <out>  production-only, self-contained copy of one
#                                           process in <out> (run `node <entry>` there)
#   build-service.sh entry <target>         prints the entry file of a target
#
# Targets: control-plane, gateway, sim-scheduler, register (the switchyard-register sidecar).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)

package_of() {
  case "$1" in
    control-plane | gateway | sim-scheduler) echo "@switchyard/$1" ;;
    register) echo "@switchyard/registration-client" ;;
    *) echo "build-service.sh: unknown target '$1' (control-plane, gateway, sim-scheduler, register)" >&2; exit 2 ;;
  esac
}

entry_of() {
  if [ "$1" = register ]; then echo dist/cli.js; else echo dist/main.js; fi
}

build() {
  cd "$root"
  pnpm install --frozen-lockfile
  pnpm build
}

deploy() {
  local target=$1 out=$2 package entry
  package=$(package_of "$target")
  entry=$(entry_of "$target")
  cd "$root"
  # pnpm 10 deploys only workspaces with inject-workspace-packages=true unless
  # --legacy is given. We keep the workspace linked (a rebuilt lib is visible at
  # once during development) and use --legacy: it copies each workspace lib by its
  # package.json `files` (dist/) into <out>/node_modules and installs the
  # production dependencies from the store (filled by `pnpm install`; hence
  # --prefer-offline), which is all an image needs.
  pnpm --filter "$package" --prod --prefer-offline deploy --legacy "$out"
  # Build caches are not part of a runtime image.
  find "$out" -name '*.tsbuildinfo' -delete
  if [ ! -f "$out/$entry" ]; then
    echo "build-service.sh: $package has no $entry after deploy (was it built?)" >&2
    exit 1
  fi
}

case "${1:-}" in
  build) build ;;
  deploy) [ $# -eq 3 ] || { echo "usage: build-service.sh deploy <target> <out>" >&2; exit 2; }; deploy "$2" "$3" ;;
  entry) [ $# -eq 2 ] || { echo "usage: build-service.sh entry <target>" >&2; exit 2; }; package_of "$2" >/dev/null; entry_of "$2" ;;
  *) echo "usage: build-service.sh build | deploy <target> <out> | entry <target>" >&2; exit 2 ;;
esac
