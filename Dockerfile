# syntax=docker/dockerfile:1
# Deployledger server image: Node 26 (the active LTS), production dependencies only, runs as the
# unprivileged `node` user. The server applies pending migrations itself at start.

FROM node:26-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY bin ./bin
COPY server ./server
# postinstall runs `prisma generate` (offline; see prisma.config.ts) and bundles the server
# into build/cli.mjs, which bin/deployledger.js runs.
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:26-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000 \
    DEPLOYLEDGER_DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
VOLUME ["/data"]
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/deployledger.js", "serve"]
