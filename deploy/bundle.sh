#!/usr/bin/env bash
# Builds the production bundle that the Docker image runs, with the very same steps: the Dockerfile's
# build stage calls this script. That lets a test (or an operator without Docker) produce the folder
# and start api and worker from it, proving the image's contents work without a Docker engine.
#
#   deploy/bundle.sh [--out DIR] [--no-install] [--no-build] [PACKAGE...]
#
# PACKAGE is a workspace folder name under apps/ or packages/ (default: api worker cli). The result:
#   DIR/<package>/          `pnpm deploy --prod`: dist/ plus production node_modules, nothing else
#   DIR/bin/capconnect      entry point: `capconnect api|worker|cli [args...]`
#   DIR/bin/healthcheck.mjs the container HEALTHCHECK (api: /healthz on PORT, worker: METRICS_PORT)
# Optional environment: PNPM_STORE_DIR (the Dockerfile points it at a BuildKit cache mount).
set -euo pipefail

usage() {
  sed -n '6,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="${TMPDIR:-/tmp}/capconnect-bundle"
install=1
build=1
packages=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || { echo "bundle: --out needs a directory" >&2; exit 2; }; out=$2; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    --no-install) install=0; shift ;;
    --no-build) build=0; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "bundle: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) packages+=("$1"); shift ;;
  esac
done
[ ${#packages[@]} -gt 0 ] || packages=(api worker cli)

cd "$root"
step() { printf '==> %s\n' "$*" >&2; }

# The lockfile format belongs to one pnpm major; a different pnpm would re-resolve or refuse.
want=$(node -p "require('./package.json').packageManager.split('@')[1]")
have=$(pnpm --version 2>/dev/null || echo none)
if [ "$have" != "$want" ]; then
  echo "bundle: pnpm $want is required (found: $have). Install it with: npm install -g pnpm@$want" >&2
  exit 1
fi

store_args=()
[ -z "${PNPM_STORE_DIR:-}" ] || store_args=(--store-dir "$PNPM_STORE_DIR")

# Resolve every folder name to its workspace package name before doing any work.
names=()
dirs=()
for package in "${packages[@]}"; do
  dir=""
  for candidate in "apps/$package" "packages/$package"; do
    [ -f "$candidate/package.json" ] && { dir=$candidate; break; }
  done
  [ -n "$dir" ] || { echo "bundle: no workspace package apps/$package or packages/$package" >&2; exit 2; }
  names+=("$(node -p "require('./$dir/package.json').name")")
  dirs+=("$dir")
done

if [ "$install" = 1 ]; then
  step "pnpm install --frozen-lockfile"
  pnpm install --frozen-lockfile "${store_args[@]}"
fi

if [ "$build" = 1 ]; then
  # `pkg...` builds the package and every workspace package it depends on (turbo's filter syntax).
  filters=()
  for name in "${names[@]}"; do filters+=("--filter=$name..."); done
  step "turbo run build ${filters[*]}"
  pnpm exec turbo run build "${filters[@]}"
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
case "$out/" in
  "$root"/apps/* | "$root"/packages/*) echo "bundle: --out must not be inside a workspace package" >&2; exit 2 ;;
esac

for i in "${!packages[@]}"; do
  package=${packages[$i]}
  name=${names[$i]}
  target="$out/$package"
  step "pnpm deploy --prod $name -> $target"
  rm -rf "$target"
  pnpm --filter "$name" deploy --prod "${store_args[@]}" "$target"
  # pnpm deploy copies each workspace dependency's published files ("files": ["dist"]), so one that
  # was not built would ship as a bare package.json and fail only at run time.
  for injected in "$target"/node_modules/.pnpm/@capconnect+*/node_modules/@capconnect/*; do
    [ -e "$injected" ] || continue
    [ -d "$injected/dist" ] || { echo "bundle: $(basename "$injected") was deployed without dist/; build it first" >&2; exit 1; }
  done
  if [ "${dirs[$i]#apps/}" != "${dirs[$i]}" ] && [ ! -f "$target/dist/main.js" ]; then
    echo "bundle: $target/dist/main.js is missing; the image could not start $package" >&2
    exit 1
  fi
done

mkdir -p "$out/bin"
install -m 0755 deploy/docker-entrypoint.sh "$out/bin/capconnect"
install -m 0644 deploy/healthcheck.mjs "$out/bin/healthcheck.mjs"
# pnpm writes some of its own bookkeeping files owner-only; the runtime user only needs to read.
chmod -R u+rwX,go+rX,go-w "$out"

step "bundle ready in $out ($(du -sh "$out" | cut -f1)): $out/bin/capconnect ${packages[0]}"
