# syntax=docker/dockerfile:1
# ChatPlatform server image: the fastify server (TypeScript run by tsx, no bundle step) and the built web app.
#   docker compose up --build        (see docker-compose.yml; no Docker engine runs in CI, dclint checks the compose file)

# Node 24, the LTS line (Node 20 reached its end of life on 2026-04-30): CI runs the tests on it too, and it reads
# a streamed token from the model provider for half the CPU Node 20 needs (README, Streaming). The platform still
# runs and is tested on Node 20.19+.
ARG NODE_IMAGE=node:24.21-bookworm-slim

# ---- pnpm and the lockfile's packages in the store (a layer that changes only with the lockfile and patches)
FROM ${NODE_IMAGE} AS fetched
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH CI=true
RUN npm i -g pnpm@10.34.9
WORKDIR /app
# patches/ too: pnpm-workspace.yaml's patchedDependencies name them, and pnpm fetch stops without them.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
COPY patches ./patches
RUN pnpm fetch

# ---- every dependency, then the web app built into apps/web/dist
FROM fetched AS build
COPY . .
RUN pnpm install --offline --frozen-lockfile \
 && pnpm --filter @chatplatform/web build

# ---- only what the server needs at run time: its production dependencies and its workspace packages' sources
FROM fetched AS prod
COPY . .
RUN pnpm install --offline --frozen-lockfile --prod --filter "@chatplatform/server..."

# ---- runtime: no pnpm, no compilers, no dev dependencies, not root
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    ENVIRONMENT=production \
    APP_HOST=0.0.0.0 \
    APP_PORT=3000 \
    JWT_KEYS_DIR=/app/keys
WORKDIR /app
COPY --from=prod /app/node_modules ./node_modules
COPY --from=prod /app/packages/db ./packages/db
COPY --from=prod /app/packages/api ./packages/api
COPY --from=prod /app/apps/server ./apps/server
COPY --from=build /app/apps/web/dist ./apps/web/dist
# keys/ is normally a mounted volume; the server generates private.pem (0600) and public.pem there when absent.
RUN mkdir -p /app/keys && chown node:node /app/keys
USER node
WORKDIR /app/apps/server
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--import", "tsx", "src/main.ts"]
