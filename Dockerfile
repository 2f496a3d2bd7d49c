# dns-primary in a container (README "In a container"; a lab with BIND and Knot secondaries
# in examples/lab/).
#
#   docker build -t dns-primary .
#   docker run --rm -p 127.0.0.1:53:5300/udp -p 127.0.0.1:53:5300/tcp -p 127.0.0.1:8787:8787 \
#     -v "$PWD/zones:/zones:ro" -v "$PWD/dns-primary.yaml:/config/dns-primary.yaml:ro" dns-primary
#
# Ports: the server runs as the unprivileged user `node` and listens on 5300 (UDP and TCP),
# a port above 1024, so it needs no capability and no sysctl under any runtime (Docker,
# Podman, Kubernetes with every capability dropped). Publish it as 53 on the host, or let
# other containers address it on 5300. The REST API listens on 8787.

# ---- build: compile TypeScript with the dev dependencies, then drop them ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds, and the sources are not copied yet (next step).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ---- run: the compiled server and its runtime dependencies, owned by root, run as `node` ----
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HEALTHCHECK_DNS_PORT=5300
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Defaults so that the image serves something without mounts; mount your own folders over
# /zones (every *.zone file is one zone) and /config (dns-primary.yaml: TSIGs, peers, transfers).
COPY zones /zones
COPY dns-primary.yaml /config/dns-primary.yaml
USER node
EXPOSE 5300/udp 5300/tcp 8787/tcp
# Healthy when the DNS listener answers a query (any answer: a REFUSED for the root SOA is
# fine), over UDP from inside the container, with node itself: no extra tools. The API is not
# used because it may require a token. Set HEALTHCHECK_DNS_PORT if you move --dns off 5300.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "const s = require('node:dgram').createSocket('udp4'); const fail = setTimeout(() => process.exit(1), 3000); s.on('error', () => process.exit(1)); s.on('message', (m) => { if (m.length >= 12 && m.readUInt16BE(0) === 0x5d11 && (m[2] & 0x80)) { clearTimeout(fail); s.close(); process.exit(0); } }); s.send(Buffer.from('5d11000000010000000000000000060001', 'hex'), Number(process.env.HEALTHCHECK_DNS_PORT || 5300), '127.0.0.1');"]
# Exec form: node is PID 1 and receives SIGTERM itself; `serve` closes its sockets and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["serve", "--zones", "/zones", "--config", "/config/dns-primary.yaml", "--dns", "0.0.0.0:5300", "--api", "0.0.0.0:8787"]
