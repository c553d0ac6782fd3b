# crm-journeys image for the API, the dispatcher and the worker (the role is chosen by the
# command, see docker-compose.yml). No secrets here: API_KEYS, UNSUBSCRIBE_SECRET, DATABASE_URL
# and the Temporal credentials come from the environment at run time.
FROM node:20-bookworm-slim
WORKDIR /app
# Dependencies first (a cached layer while package*.json and the Prisma schema are unchanged);
# postinstall generates the Prisma client from prisma/.
COPY package.json package-lock.json ./
COPY prisma ./prisma
COPY prisma.config.ts ./
RUN npm install --no-audit --no-fund
COPY . .
ENV NODE_ENV=production
# The code stays owned by root: the app user can read it, not change it. Nothing is written under
# /app in production (DATA_DIR only holds secrets `npm start` makes outside production).
USER node
# API (3000) and the worker's Prometheus endpoint (METRICS_PORT, 9464).
EXPOSE 3000 9464
# node itself, not `npm run start:api`, so SIGTERM reaches the process that drains.
CMD ["node", "--import", "tsx", "src/main.ts", "--only=api"]
