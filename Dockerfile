# One image for every app: `node dist/apps/<app>/src/main.js`. Prisma needs no native engine at
# runtime (driver adapter + WebAssembly query compiler), so nothing is downloaded at build time.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN PRISMA_SCHEMA_ENGINE_BINARY=/usr/local/bin/node npx prisma generate \
 && npx swc apps libs -d dist --quiet --ignore '**/*.spec.ts,**/*.integration-spec.ts,**/*.e2e-spec.ts'

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/scripts/db ./scripts/db
USER node
CMD ["node", "dist/apps/gateway/src/main.js"]
