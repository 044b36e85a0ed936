# One image for both apps; docker-compose.yml picks the entry point.
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY libs ./libs
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20.20.2-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app /app
# DATA_DIR in docker-compose.yml: a fresh named volume takes this folder's owner and mode, so the app (as node) can
# write its generated secrets there and no one else can read them.
RUN install -d -o node -g node -m 0700 /var/lib/lfs-depot
USER node
# The proxy with the Node flags npm start gives it (scripts/proxy-process.mjs prints that command line).
CMD ["/bin/sh", "-c", "exec $(node scripts/proxy-process.mjs)"]
