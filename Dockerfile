# syntax=docker/dockerfile:1
# Node 24 is an LTS line that better-sqlite3 12 (the embedded store) supports.

FROM node:24-bookworm-slim AS deps
WORKDIR /app
# Toolchain only in this stage: better-sqlite3 builds from source when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HL7_ENV=docker \
    HL7_CONFIG_DIR=/app/config
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node package.json tsconfig.json ./
COPY --chown=node:node src ./src
COPY --chown=node:node scripts ./scripts
COPY --chown=node:node config ./config
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 30500
VOLUME ["/app/data"]
# Checks the MLLP port and the store; works for MLLP-only deployments too.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["node", "--import", "tsx", "src/main.ts", "health"]
# node directly (not npm) so SIGTERM reaches the service and it drains before exiting.
CMD ["node", "--import", "tsx", "src/main.ts", "start"]
