# syntax=docker/dockerfile:1.7
# CapConnect: one image for the ingest API, the delivery worker and the CLI; the first argument picks
# which one runs (deploy/docker-entrypoint.sh):
#   docker run --env-file .env capconnect api
#   docker run --env-file .env capconnect worker
#   docker run --env-file .env capconnect cli stats
# Build: docker build -t capconnect .
# The build stage runs deploy/bundle.sh, the same script that builds the bundle outside Docker, so
# what the tests start from that script's output is what this image runs.

ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG PNPM_VERSION=12.4.2
ENV CI=true \
    TURBO_TELEMETRY_DISABLED=1 \
    DO_NOT_TRACK=1 \
    PNPM_STORE_DIR=/pnpm/store
# The version pinned in package.json "packageManager"; bundle.sh refuses any other.
RUN npm install --global --no-fund --no-audit "pnpm@${PNPM_VERSION}"
WORKDIR /src

# Dependencies first, from the lockfile alone: this layer is reused until pnpm-lock.yaml changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc .pnpmfile.cjs ./
# pnpm-workspace.yaml's patchedDependencies name these files: the install applies them.
COPY patches ./patches
RUN --mount=type=cache,id=capconnect-pnpm-store,target=/pnpm/store \
    pnpm fetch --store-dir /pnpm/store

COPY . .
# install --frozen-lockfile, build (turbo), then `pnpm deploy --prod` of api, worker and cli into /out.
RUN --mount=type=cache,id=capconnect-pnpm-store,target=/pnpm/store \
    bash deploy/bundle.sh --out /out api worker cli


FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="capconnect" \
      org.opencontainers.image.description="Self-hosted relay for server-side conversion tracking (Meta CAPI, Google Ads)" \
      org.opencontainers.image.licenses="BUSL-1.1"
# Package managers are not needed at run time; removing them removes their CVEs from the image.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
           /opt/yarn-* /usr/local/bin/yarn /usr/local/bin/yarnpkg
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the service user: the code cannot be modified at run time.
COPY --from=build /out /app
# `node` (uid 1000) ships with the official image.
USER node
# api: PORT 3000 and metrics 9464; worker: metrics and /healthz 9465. No secrets here: configuration
# comes only from the environment at run time (.env.example lists every variable).
EXPOSE 3000 9464 9465
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "/app/bin/healthcheck.mjs"]
ENTRYPOINT ["/app/bin/capconnect"]
CMD ["api"]
