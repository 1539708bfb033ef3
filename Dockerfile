# The Flow worker image (temporal-compose.yml's flow-worker and codec-server services).
# Build stage: the whole project compiled (npm run build also writes dist/workflow-bundle.js).
# Runtime stage: only what `npm pack` ships (package.json "files") plus production dependencies,
# run as the unprivileged `node` user. No key or credential is copied: the payload key arrives
# at run time as a compose secret (FLOW_ENCRYPTION_KEY_FILE).
FROM node:20.19.5-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY test ./test
COPY bench ./bench
COPY scripts ./scripts
RUN npm run build

FROM node:20.19.5-bookworm-slim AS runtime
ENV NODE_ENV=production \
    FLOW_HOME=/var/lib/flow
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# Exactly package.json "files" (test/unit/dockerfile.test.ts checks them against npm pack).
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/dist/workflow-bundle.js ./dist/workflow-bundle.js
# FLOW_HOME owned by the runtime user, so a fresh named volume mounted there is too.
RUN mkdir -p /var/lib/flow && chown node:node /var/lib/flow && chmod 0700 /var/lib/flow
USER node
VOLUME ["/var/lib/flow"]
ENTRYPOINT ["node", "/app/bin/flow.js"]
CMD ["worker"]
