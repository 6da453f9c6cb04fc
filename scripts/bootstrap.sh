#!/usr/bin/env bash
# Installs what `make` needs on a fresh Debian/Ubuntu machine: PostgreSQL and Redis binaries,
# uv, and the workspace. Idempotent: each step is skipped when its tool is already there.
# PostgreSQL and Redis are only installed here, never started: `make run` and the tests start
# private servers when none answers on the default ports.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.local/bin:$PATH"

have_initdb() {
  command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
have_initdb || need_apt+=(postgresql)
if ! command -v uv >/dev/null 2>&1 && ! python3 -m pip --version >/dev/null 2>&1; then
  need_apt+=(python3-pip)
fi

if [ ${#need_apt[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: please install ${need_apt[*]} with your system's package manager" >&2
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "bootstrap: installing ${need_apt[*]} needs root (no sudo found)" >&2
      exit 1
    }
    SUDO="sudo"
  fi
  echo "bootstrap: installing ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${need_apt[@]}" >/dev/null
fi

if ! command -v uv >/dev/null 2>&1; then
  echo "bootstrap: installing uv"
  user_flag=()
  [ "$(id -u)" -eq 0 ] || user_flag=(--user)
  python3 -m pip install --quiet --disable-pip-version-check "${user_flag[@]}" uv 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check "${user_flag[@]}" \
      --break-system-packages uv
  command -v uv >/dev/null 2>&1 || {
    echo "bootstrap: uv installed but not on PATH; add ~/.local/bin to PATH" >&2
    exit 1
  }
fi

uv sync --frozen --all-packages --all-groups --quiet
