# syntax=docker/dockerfile:1
# The listener's image. `docker compose up --build` (docker-compose.yml) runs it with MariaDB;
# docs/operations.md says how to run, configure and operate it. No secret is ever built in: TLS
# files, HL7_KEY and the secured config are mounted at run time (/run/secrets, compose `secrets:`).
# Node 24 is an LTS line that better-sqlite3 12 (the embedded store) supports.

FROM node:24-bookworm-slim AS deps
WORKDIR /app
# Toolchain only in this stage: better-sqlite3 builds from source when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HL7_ENV=docker \
    HL7_CONFIG_DIR=/app/config
WORKDIR /app
# Code and config belong to root: the service's user may read them, not change them (so even
# without a read-only root filesystem, the running service cannot change what it runs).
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
# What start-up applies (numbered, under a lock); create-schema.sql is the DBA's copy of the result.
COPY migrations ./migrations
COPY scripts/create-schema.sql ./scripts/
COPY config ./config
# The embedded store's folder (db.driver: sqlite), the one place the service may write; mount a
# volume there when you use it. tsx also writes its compile cache under /tmp (a tmpfs in compose).
RUN mkdir -p /app/data && chown node:node /app/data
# The node image's unprivileged user (uid 1000).
USER node
# MLLP, HTTPS.
EXPOSE 30500 8443
# With the HTTPS door on: GET /health/ready on it; MLLP-only: the MLLP port and a store ping
# (src/cli/health.ts). Its own wait is db.queryTimeoutMs + 1 s: keep --timeout above that.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["node", "--import", "tsx", "src/main.ts", "health"]
# node itself, not npm: SIGTERM from `docker stop` reaches the service, which stops accepting,
# lets in-flight messages commit and be answered, then exits 0 (a second signal exits at once).
CMD ["node", "--import", "tsx", "src/main.ts", "start"]
