# wincri image: a build stage compiles the TypeScript, a runtime stage carries only what `node`
# needs to run it: dist/, production node_modules, package.json and proto/ (both read at run time
# from the package root, src/package-info.ts).
#
#   docker build -t wincri .                                             # official node base
#   docker build --build-arg BASE_IMAGE=wincri-node-base:20 -t wincri .  # offline rig (scripts/rig/node-base.sh)
#   docker run --rm wincri version        # arguments replace the default `serve`
#
# Dependencies come from `npm ci` inside the build stage, not from the host's node_modules, so the
# image is the same wherever it is built. On the offline rig that still works: the rig's engine
# gives build containers the host's DNS and egress, which reach the npm registry (the only
# network allowed here); the registry's TLS is re-signed by an egress proxy, which
# wincri-node-base:20 trusts through NODE_EXTRA_CA_CERTS; and build containers need the uplink's
# MTU (1400, set by scripts/rig/dockerd.sh): at Docker's default 1500, `npm ci` stalled for
# minutes in about one run of three. Measured with the classic builder (docker 20.10,
# DOCKER_BUILDKIT=0) on 2 cores: about 35 s from cold, `npm ci` about 10 s of it; copying a
# host-built dist/ and node_modules instead would save little and tie the image to the host.
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS build
# Lets a test remove this stage's leftover (untagged) image without touching anyone else's.
LABEL org.wincri.stage=build
WORKDIR /app
# Manifest first: the `npm ci` layer is reused until package*.json change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=warn
COPY tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund --loglevel=warn

FROM ${BASE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/proto ./proto
COPY --from=build /app/dist ./dist
ENTRYPOINT ["node", "/app/dist/src/main.js"]
CMD ["serve"]
