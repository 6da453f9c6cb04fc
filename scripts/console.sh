#!/usr/bin/env bash
# Builds the planner console (console/ -> console/dist, served by the gateway at /).
#   scripts/console.sh build     Node and npm from Debian when missing, `npm ci`, `vite build`
#   scripts/console.sh test      the same, plus Debian's chromium for the browser tests, then
#                                the console's unit tests (vitest)
#   scripts/console.sh deps      Node, npm and `npm ci` only (for scripts/openapi_types.py)
# Idempotent: `npm ci` runs only when package-lock.json changed, the build only when a source
# did. Nothing is downloaded outside the package registries (Debian, npm).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-build}"

apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "console: please install $* with your system's package manager" >&2
    exit 1
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "console: installing $* needs root" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "console: installing $*"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

need=()
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ "$mode" = "test" ] && ! command -v chromium >/dev/null 2>&1; then need+=(chromium); fi
[ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"

cd console
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "console: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
[ "$mode" = "deps" ] && exit 0
if [ ! -f dist/index.html ] || [ -n "$(find src index.html vite.config.ts tsconfig.json package-lock.json -newer dist/index.html -print -quit)" ]; then
  echo "console: building"
  npm run --silent build >/dev/null
fi
if [ "$mode" = "test" ]; then
  npm test --silent
fi
