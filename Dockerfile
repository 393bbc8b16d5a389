# redis-doctor: the Slack bot (npm start), a worker alone (npm run worker) and the CLI.
#   docker build -t redis-doctor .
#   docker run -p 3000:3000 -e SLACK_BOT_TOKEN -e SLACK_SIGNING_SECRET -e REDIS_URL \
#     -e REDIS_DOCTOR_CONFIG=/config/redis-doctor.yaml -v "$PWD/config:/config:ro" redis-doctor
#   docker run … redis-doctor node dist/worker.js        # a worker alone
#   docker run --rm redis-doctor node dist/cli/main.js diagnose 10.0.0.5:6379
# test/packaging.test.ts runs these same steps outside Docker; keep one command per RUN line.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build
RUN npm prune --omit=dev --no-audit --no-fund

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY manifest.yml ./manifest.yml
# The image's built-in unprivileged user: the bot needs no root to probe or to listen on 3000.
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
