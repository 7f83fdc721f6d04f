# syntax=docker/dockerfile:1
# The order management service. One image, every role: `start` (all roles), `ingest`, `worker`, `standins`, ...
# The TypeScript runs directly on Node's type stripping: no build step, only production dependencies.

FROM node:24-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=9464
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY schemas ./schemas
# The image's own unprivileged user.
USER node
EXPOSE 9464
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "src/cli/oms.ts"]
CMD ["start"]
