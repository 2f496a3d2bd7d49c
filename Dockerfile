# dns-primary: build, then run on a slim Node 20 image as a non-root user.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY zones ./zones
COPY dns-primary.yaml ./
USER node
# DNS on 5300 (UDP and TCP): an unprivileged port; map it to 53 in the lab (-p 53:5300/udp -p 53:5300/tcp).
EXPOSE 5300/udp 5300/tcp 8787/tcp
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve", "--zones", "/app/zones", "--config", "/app/dns-primary.yaml", "--dns", "0.0.0.0:5300", "--api", "0.0.0.0:8787"]
