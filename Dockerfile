# syntax=docker/dockerfile:1
#
# Streamlens images: one build, three targets.
#
#   docker buildx build --platform linux/arm64 --target api       -t streamlens-api:TAG .
#   docker buildx build --platform linux/arm64 --target worker    -t streamlens-worker:TAG .
#   docker buildx build --platform linux/arm64 --target scheduler -t streamlens-scheduler:TAG .
#
# (scripts/build.sh --images builds the three.) Each image holds one binary as its entry point, runs as a non-root
# user and reads its settings from STREAMLENS_* variables (README.md, "Configuration"). The worker image also holds
# `backfill`, for one-off tasks run with the entry point overridden.
#
# The builder runs on the build machine's own platform and cross-compiles when the image's platform differs
# (amd64 <-> arm64), so an arm64 image builds at native speed on an amd64 machine, with no emulated compiler.
# Dependencies are compiled in a layer of their own, from the manifests, Cargo.lock and stub sources: that layer is
# rebuilt only when a manifest, Cargo.lock or the set of source files changes, not when code does.

ARG RUST_VERSION=1.95

# --- toolchain: Rust on the build platform, plus a cross linker when the image's platform differs ----------------
FROM --platform=$BUILDPLATFORM rust:${RUST_VERSION}-bookworm AS toolchain
ARG BUILDARCH
ARG TARGETARCH
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /src
# /etc/rust-target.sh sets RUST_TARGET (the image's target triple) and, for a cross build, the linker and C
# compiler of that target (aws-lc, ring, SQLite and zstd compile C code).
# hadolint ignore=DL3008,SC2086
RUN set -eu; \
    case "$TARGETARCH" in \
      amd64) triple=x86_64-unknown-linux-gnu;  gnu=x86_64-linux-gnu;  cross="gcc-x86-64-linux-gnu libc6-dev-amd64-cross" ;; \
      arm64) triple=aarch64-unknown-linux-gnu; gnu=aarch64-linux-gnu; cross="gcc-aarch64-linux-gnu libc6-dev-arm64-cross" ;; \
      *) echo "unsupported image platform linux/$TARGETARCH: linux/amd64 and linux/arm64 are" >&2; exit 1 ;; \
    esac; \
    echo "export RUST_TARGET=$triple" > /etc/rust-target.sh; \
    if [ "$TARGETARCH" != "$BUILDARCH" ]; then \
      apt-get update; \
      apt-get install -y --no-install-recommends $cross; \
      rm -rf /var/lib/apt/lists/*; \
      rustup target add "$triple"; \
      upper=$(echo "$triple" | tr 'a-z-' 'A-Z_'); \
      lower=$(echo "$triple" | tr '-' '_'); \
      { \
        echo "export CARGO_TARGET_${upper}_LINKER=$gnu-gcc"; \
        echo "export CC_${lower}=$gnu-gcc"; \
        echo "export AR_${lower}=$gnu-ar"; \
      } >> /etc/rust-target.sh; \
    fi; \
    cat /etc/rust-target.sh

# --- skeleton: the workspace with every Rust source replaced by a stub -------------------------------------------
# Only Cargo.toml files, Cargo.lock, .cargo/, rust-toolchain files and the stubs are kept; the stubs all have the
# same content, so this stage's output changes only when a manifest, the lock file or the list of source files does.
FROM toolchain AS skeleton
COPY . .
RUN set -eu; \
    printf 'fn main() {}\n' > /tmp/stub.rs; \
    find . -type f -name '*.rs' -exec sh -c 'for f; do cp /tmp/stub.rs "$f"; done' sh {} +; \
    find . -type f ! -name '*.rs' ! -name Cargo.toml ! -name Cargo.lock ! -name 'rust-toolchain*' \
      ! -path './.cargo/*' -delete; \
    find . -mindepth 1 -type d -empty -delete

# --- builder: dependencies first (cached layer), then the workspace -----------------------------------------------
# Both cargo builds must run with the same command, environment and flags: any difference (RUSTFLAGS, features,
# profile) changes the dependencies' fingerprints and the second build compiles them all again.
FROM toolchain AS builder
ENV CARGO_TERM_COLOR=never
COPY --from=skeleton /src/ ./
RUN . /etc/rust-target.sh \
 && cargo build --release --locked --target "$RUST_TARGET" -p streamlens-api -p streamlens-jobs \
      --bin api --bin worker --bin scheduler --bin backfill
COPY . .
# The sources copied in keep their own modification times, which may be older than the stub build: touch them so
# that cargo rebuilds the workspace crates instead of keeping the stubs.
RUN . /etc/rust-target.sh \
 && find . -path ./target -prune -o -type f -name '*.rs' -exec touch {} + \
 && cargo build --release --locked --target "$RUST_TARGET" -p streamlens-api -p streamlens-jobs \
      --bin api --bin worker --bin scheduler --bin backfill \
 && mkdir -p /out \
 && for bin in api worker scheduler backfill; do cp "target/$RUST_TARGET/release/$bin" /out/; done

# --- runtime: glibc, libgcc, CA certificates, time zones, a non-root user; no shell, no package manager ----------
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
LABEL org.opencontainers.image.source="https://github.com/streamlens/streamlens" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="Streamlens"
# nonroot (65532) owns its home: the embedded default stores (./data) land there when nothing else is configured.
WORKDIR /home/nonroot
USER 65532:65532

# --- worker: runs queued jobs (any number of replicas) ----------------------------------------------------------
FROM runtime AS worker
LABEL org.opencontainers.image.title="streamlens-worker" \
      org.opencontainers.image.description="Streamlens worker: runs the queued pull, series and pipeline jobs."
COPY --from=builder /out/worker /out/backfill /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/worker"]

# --- scheduler: enqueues the pulls of every source on its schedule (one replica leads) ---------------------------
FROM runtime AS scheduler
LABEL org.opencontainers.image.title="streamlens-scheduler" \
      org.opencontainers.image.description="Streamlens scheduler: enqueues each source's pulls on its schedule."
COPY --from=builder /out/scheduler /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/scheduler"]

# --- api: the GraphQL gateway (the default target) ---------------------------------------------------------------
FROM runtime AS api
LABEL org.opencontainers.image.title="streamlens-api" \
      org.opencontainers.image.description="Streamlens GraphQL gateway: GraphQL, REST twins, health and metrics."
COPY --from=builder /out/api /usr/local/bin/
# Reachable from outside the container; the load balancer checks /readyz.
ENV STREAMLENS_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/api"]
