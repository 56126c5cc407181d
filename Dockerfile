# syntax=docker/dockerfile:1
# bodydock: build the single binary, then run it alone in a slim image.

# --- build: Node brings npm, npm brings the pinned Bun (devDependency) ---
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx bun run build

# --- run: the binary only, as a non-root user, data on a volume ---
FROM debian:bookworm-slim
RUN groupadd --system --gid 10001 bodydock \
 && useradd --system --uid 10001 --gid bodydock --home-dir /var/lib/bodydock --shell /usr/sbin/nologin bodydock \
 && mkdir -p /var/lib/bodydock && chown bodydock:bodydock /var/lib/bodydock
COPY --from=build /src/dist/bodydock /usr/local/bin/bodydock
ENV BODYDOCK_DATA_DIR=/var/lib/bodydock \
    BODYDOCK_HOST=0.0.0.0 \
    BODYDOCK_PORT=8080
VOLUME ["/var/lib/bodydock"]
USER bodydock
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 CMD ["bodydock", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["bodydock"]
CMD ["serve"]
