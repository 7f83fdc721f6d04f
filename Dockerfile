# syntax=docker/dockerfile:1
# The order management service. The default target is the production image: every role (`start`,
# `ingest`, `worker`, the operator commands), and nothing else. The `devtools` target adds the dev
# tooling (stand-ins, demo, local stack) for the docker compose system; it never ships to production.
# The TypeScript runs directly on Node's type stripping: no build step, only production dependencies.

FROM node:24-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim AS sources
WORKDIR /app
COPY src ./src
# The runtime roles never import src/dev (a test walks the import graph to keep it so): leave it out.
RUN mkdir /devtools && mv src/dev /devtools/dev

FROM node:24-bookworm-slim AS base
# OMS_LOCAL_STACK=off: a missing endpoint is a one-line config error, never an attempt at a local stack.
# KAFKA_CREATE_TOPICS=off: a role never creates topics; `oms topics apply` does, with an operator's credentials.
ENV NODE_ENV=production \
    OMS_LOCAL_STACK=off \
    KAFKA_CREATE_TOPICS=off \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=9464
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY schemas ./schemas
COPY --from=sources /app/src ./src
USER node
EXPOSE 9464
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "src/cli/oms.ts"]
CMD ["start"]

FROM base AS devtools
COPY --from=sources /devtools/dev ./src/dev
CMD ["standins"]

# The production image, and the default target.
FROM base AS runtime
