# One image for every Yilian service; the compose file picks the entry point.
# The mediasoup worker is built offline from Debian's libraries, as on the hosts (scripts/build-mediasoup-worker.sh).
FROM node:20-bookworm AS base
WORKDIR /app
ENV NODE_ENV=production YILIAN_CACHE_DIR=/opt/yilian-cache
COPY scripts/install-system-deps.sh scripts/build-mediasoup-worker.sh scripts/ensure-mediasoup-worker.sh scripts/
RUN bash scripts/install-system-deps.sh && rm -rf /var/lib/apt/lists/*
RUN bash scripts/ensure-mediasoup-worker.sh > /opt/mediasoup-worker-path
COPY package.json package-lock.json .npmrc ./
COPY contract/package.json contract/
COPY jobs/package.json jobs/
COPY storage/package.json storage/
COPY audit/package.json audit/
COPY server/package.json server/
COPY media/package.json media/
COPY worker/package.json worker/
COPY client-sdk/package.json client-sdk/
RUN npm install --no-audit --no-fund --include=dev
COPY . .
RUN npx prisma generate && mkdir -p .cache && cp /opt/mediasoup-worker-path .cache/mediasoup-worker-path
ENV YILIAN_SKIP_APT=1
EXPOSE 3000
CMD ["npx", "tsx", "server/src/main.ts"]
