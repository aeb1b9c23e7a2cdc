#!/usr/bin/env bash
# Release builds: the binaries on this machine, or the container images.
#
#   scripts/build.sh                     release binaries for this machine, in target/release/
#   scripts/build.sh --target aarch64    the same, cross-compiled for 64-bit ARM Linux, in
#                                        target/aarch64-unknown-linux-gnu/release/
#   scripts/build.sh --images            the api, worker and scheduler images (linux/arm64), with Docker
#
# Run scripts/build.sh --help for every option.
set -euo pipefail

cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
Usage: scripts/build.sh [--target aarch64] [--images [--tag TAG] [--platform PLATFORM] [--push REGISTRY]]

Builds Streamlens for release.

Without --images, compiles the release binaries of streamlens-api (streamlens, api) and streamlens-jobs (worker,
scheduler, simulator, backfill):
  cargo build --release --locked -p streamlens-api -p streamlens-jobs

Options:
  --target aarch64     Cross-compile for aarch64-unknown-linux-gnu (64-bit ARM Linux, as on Fargate ARM64); the
                       full triple is accepted too. Needs the Rust standard library of that target
                       (rustup target add aarch64-unknown-linux-gnu) and a linker for it: aarch64-linux-gnu-gcc on
                       the PATH (Debian/Ubuntu: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross), or
                       the one named by CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER. The C compiler for the
                       C dependencies defaults to that linker (override with CC_aarch64_unknown_linux_gnu).
                       On an aarch64 Linux machine this is a native build.
  --images             Build the container images instead, from the Dockerfile, one per target:
                         docker buildx build --platform PLATFORM --target X -t streamlens-X:TAG --load .
                       for X in api, worker, scheduler. Needs a Docker engine that answers (docker info) and the
                       buildx plugin. The Dockerfile compiles inside the build, cross-compiling when PLATFORM
                       differs from the engine's.
  --tag TAG            Image tag (default: the short commit id, with -dirty when the work tree has changes;
                       "dev" outside git).
  --platform PLATFORM  Image platform (default: linux/arm64; linux/amd64 works too).
  --push REGISTRY      Push the images to REGISTRY/streamlens-X:TAG (e.g. an ECR registry after docker login)
                       instead of loading them into the local engine.
  -h, --help           Show this help.

Exit status: 0 built; 2 bad arguments; 3 a prerequisite is missing (cross toolchain, Docker engine, buildx).
EOF
}

die_usage() {
  printf 'build.sh: %s\n' "$*" >&2
  printf 'Run scripts/build.sh --help for the options.\n' >&2
  exit 2
}

missing() {
  printf 'build.sh: %s\n' "$1" >&2
  shift
  if [ $# -gt 0 ]; then printf '  %s\n' "$@" >&2; fi
  exit 3
}

target=""
images=0
tag=""
platform="linux/arm64"
push=""

while [ $# -gt 0 ]; do
  case "$1" in
    --target)
      [ $# -ge 2 ] || die_usage "--target needs a value (aarch64)"
      target=$2
      shift 2
      ;;
    --target=*) target=${1#*=}; shift ;;
    --images) images=1; shift ;;
    --tag)
      [ $# -ge 2 ] || die_usage "--tag needs a value"
      tag=$2
      shift 2
      ;;
    --tag=*) tag=${1#*=}; shift ;;
    --platform)
      [ $# -ge 2 ] || die_usage "--platform needs a value"
      platform=$2
      shift 2
      ;;
    --platform=*) platform=${1#*=}; shift ;;
    --push)
      [ $# -ge 2 ] || die_usage "--push needs a registry"
      push=$2
      shift 2
      ;;
    --push=*) push=${1#*=}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die_usage "unknown argument: $1" ;;
  esac
done

case "$target" in
  "") ;;
  aarch64 | arm64 | aarch64-unknown-linux-gnu) target=aarch64-unknown-linux-gnu ;;
  *) die_usage "unsupported --target '$target' (supported: aarch64, i.e. aarch64-unknown-linux-gnu)" ;;
esac

if [ "$images" -eq 0 ] && { [ -n "$tag" ] || [ -n "$push" ] || [ "$platform" != "linux/arm64" ]; }; then
  die_usage "--tag, --platform and --push apply to --images"
fi
if [ "$images" -eq 1 ] && [ -n "$target" ]; then
  die_usage "--target applies to binaries; for images use --platform (linux/arm64 or linux/amd64)"
fi

build_images() {
  if ! command -v docker >/dev/null 2>&1; then
    missing "--images needs Docker, and the docker command is not installed." \
      "Install Docker (engine and buildx plugin), or build the binaries without --images."
  fi
  if ! docker info >/dev/null 2>&1; then
    missing "--images needs a Docker engine, and none answers (docker info failed)." \
      "Start the Docker daemon, or point DOCKER_HOST or the docker context at one; the images are built by" \
      "the engine (CI builds and pushes them on its own, see .github/workflows/deploy.yml)."
  fi
  if ! docker buildx version >/dev/null 2>&1; then
    missing "--images needs the docker buildx plugin (BuildKit), which is not installed."
  fi

  if [ -z "$tag" ]; then
    if tag=$(git rev-parse --short=12 HEAD 2>/dev/null); then
      if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then tag="$tag-dirty"; fi
    else
      tag=dev
    fi
  fi

  local output name image
  if [ -n "$push" ]; then output=--push; else output=--load; fi
  for name in api worker scheduler; do
    image="streamlens-$name:$tag"
    if [ -n "$push" ]; then image="${push%/}/$image"; fi
    printf '\n==> %s (%s, target %s)\n' "$image" "$platform" "$name"
    docker buildx build --platform "$platform" --target "$name" -t "$image" "$output" .
  done
  printf '\nBuilt streamlens-{api,worker,scheduler}:%s for %s\n' "$tag" "$platform"
}

# Checks what a cross build for $target needs, and points cargo and the C builds at the cross tools.
prepare_cross() {
  local host problems=()
  host=$(rustc -vV | sed -n 's/^host: //p')
  if [ "$host" = "$target" ]; then
    return 0
  fi

  local sysroot
  sysroot=$(rustc --print sysroot)
  if [ ! -d "$sysroot/lib/rustlib/$target/lib" ]; then
    if command -v rustup >/dev/null 2>&1; then
      problems+=("the Rust standard library for $target is not installed: rustup target add $target")
    else
      problems+=("the Rust standard library for $target is not installed (in $sysroot/lib/rustlib/$target);" \
        "  install it with your Rust distribution (with rustup: rustup target add $target)")
    fi
  fi

  local linker=${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER:-aarch64-linux-gnu-gcc}
  if ! command -v "$linker" >/dev/null 2>&1; then
    if [ -n "${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER:-}" ]; then
      problems+=("the linker named by CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER ($linker) is not found")
    else
      problems+=("no linker for $target: aarch64-linux-gnu-gcc is not on the PATH;" \
        "  install it (Debian/Ubuntu: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross)" \
        "  or name another with CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=/path/to/gcc")
    fi
  fi

  if [ ${#problems[@]} -gt 0 ]; then
    printf 'build.sh: cannot cross-compile for %s from %s:\n' "$target" "$host" >&2
    printf '  - %s\n' "${problems[@]}" | sed 's/^  -   /    /' >&2
    printf '(or build the images, which cross-compile inside Docker: scripts/build.sh --images)\n' >&2
    exit 3
  fi

  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER="$linker"
  # aws-lc, ring, SQLite and zstd compile C code: with the same cross compiler.
  export CC_aarch64_unknown_linux_gnu="${CC_aarch64_unknown_linux_gnu:-$linker}"
  local ar=${linker%gcc}ar
  if [ "$ar" != "$linker" ] && command -v "$ar" >/dev/null 2>&1; then
    export AR_aarch64_unknown_linux_gnu="${AR_aarch64_unknown_linux_gnu:-$ar}"
  fi
}

build_binaries() {
  local args=(--release --locked -p streamlens-api -p streamlens-jobs)
  local out=target/release
  if [ -n "$target" ]; then
    prepare_cross
    args+=(--target "$target")
    out=target/$target/release
  fi
  printf '==> cargo build %s\n' "${args[*]}"
  cargo build "${args[@]}"
  printf '\nBuilt in %s/:' "$out"
  local bin
  for bin in streamlens api worker scheduler simulator backfill; do
    if [ -x "$out/$bin" ]; then printf ' %s' "$bin"; fi
  done
  printf '\n'
}

if [ "$images" -eq 1 ]; then
  build_images
else
  build_binaries
fi
