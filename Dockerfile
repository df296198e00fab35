# syntax=docker/dockerfile:1
# Tonearm: multi-stage build on Node 24 slim. The build stage compiles the TypeScript sources to JavaScript
# (`npm run build`, dist/): the image runs that, without Node's type stripper in every thread, which saves
# ~40 MB at idle (docs/benchmarks.md, "Memory (issue 11)"); it builds the web app (web/dist) and then
# keeps only production dependencies.

FROM node:24-bookworm-slim AS build
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
# npm ci runs the `prepare` script, which builds the web app; its sources come later (so this layer stays
# cached while they change), and until then the script has nothing to build.
COPY web/scripts ./web/scripts
RUN npm ci
COPY src ./src
COPY migrations ./migrations
COPY web ./web
# The server (dist/) and the web app (web/dist: React + Vite, precompressed), then production dependencies only.
RUN npm run build && npm run web:build && npm prune --omit=dev

FROM node:24-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/web/dist ./web/dist
COPY --from=build /app/dist ./dist
COPY package.json ./
# The sources too: admin commands (`node src/cli/main.ts user add ...`) run from them, as documented.
COPY src ./src
COPY migrations ./migrations
COPY config ./config
RUN mkdir -p /data /music && chown node:node /data
# glibc's allocator: at most two arenas (not one per thread: tag readers, read workers, V8's compiler
# threads) and a fixed trim threshold, so freed memory goes back to the system (bin/tonearm.js sets the same).
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    MALLOC_TRIM_THRESHOLD_=131072 \
    TONEARM_DATA_DIR=/data \
    TONEARM_MUSIC=/music \
    TONEARM_HOST=0.0.0.0 \
    TONEARM_PORT=4040
USER node
VOLUME ["/data"]
EXPOSE 4040
# node's own fetch (the slim image has no curl); /health sits under TONEARM_BASE_PATH when one is set.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const e=process.env,b=(e.TONEARM_BASE_PATH||'').replace(/[/]+$/,'');fetch('http://127.0.0.1:'+(e.TONEARM_PORT||4040)+b+'/health',{signal:AbortSignal.timeout(4000)}).then(r=>r.json()).then(h=>process.exit(h.status==='ok'?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve"]
