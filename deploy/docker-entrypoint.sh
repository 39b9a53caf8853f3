#!/bin/sh
# One image, three programs: the first argument picks which one runs, the rest are its arguments.
#   capconnect api                 the ingest API (PORT, metrics on METRICS_PORT, default 9464)
#   capconnect worker              a delivery worker (metrics and /healthz on METRICS_PORT, default 9465)
#   capconnect cli <command> ...   the capconnect CLI (stats, failed list, replay, ...)
#   capconnect sandbox [flags]     the sandbox Meta/Google/OAuth servers (port 4010, all interfaces)
# Anything else runs as given (e.g. `sh`), so the image stays debuggable.
# `exec` makes node the process that receives SIGTERM from `docker stop`, so its graceful shutdown runs.
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)

if [ $# -eq 0 ]; then
  set -- api
fi
service=$1
case "$service" in
  api)
    shift
    # Same flags as the local stack (apps/cli/src/stack.ts SERVICE_NODE_FLAGS): a small young
    # generation, and an old one grown by half of what survives a full GC, keep the api near
    # 137 MiB resident under load at no measured throughput cost.
    exec node --max-semi-space-size=4 --heap-growing-percent=50 "$here/api/dist/main.js" "$@"
    ;;
  worker)
    shift
    # A worker holds a whole batch of jobs per round trip: a 24 MB semi-space keeps them young, and
    # the old generation grows by half of what survives a full GC instead of several times it
    # (peak memory ~210 MiB instead of up to 300 under a backlog; see SERVICE_NODE_FLAGS).
    exec node --max-semi-space-size=24 --heap-growing-percent=50 "$here/worker/dist/main.js" "$@"
    ;;
  cli)
    shift
    exec node "$here/cli/dist/main.js" "$@"
    ;;
  sandbox)
    shift
    exec node "$here/cli/node_modules/@capconnect/sandbox/dist/main.js" --host 0.0.0.0 "$@"
    ;;
  help | -h | --help)
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
    ;;
  *)
    exec "$@"
    ;;
esac
