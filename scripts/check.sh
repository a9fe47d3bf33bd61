#!/usr/bin/env bash
# The one gate, the same locally and in CI: format, lint, types, layering, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

step "ruff format --check"; ruff format --check server tests bench
step "ruff check";          ruff check server tests bench
step "mypy (strict)";       mypy
step "import-linter";       lint-imports
if [ -f client/package.json ]; then
  step "client: typecheck and unit tests"
  (cd client && npm run --silent typecheck && npm run --silent test)
fi
if [ -f jupyterlab/package.json ]; then
  step "JupyterLab extension: typecheck and unit tests"
  (cd jupyterlab && npm run --silent typecheck && npm run --silent test)
fi
if [ -f mkdocs.yml ]; then
  step "docs: mkdocs build --strict (links and anchors checked)"
  site="$(mktemp -d)"; trap 'rm -rf "$site"' EXIT
  NO_MKDOCS_2_WARNING=1 mkdocs build --strict --quiet --site-dir "$site"
fi
# pytest on several workers (pytest-xdist): most of a test's time is spent waiting on a server,
# a kernel or a browser, so workers overlap those waits. The browser tests share one server
# and one Chromium per worker, so they form one group that one worker runs (loadgroup, as
# tests/conftest.py schedules it).
# PAIRBOOK_TEST_WORKERS sets the count (default 4: on two workers the tests kept the two cores
# under half busy; 0: one process, no xdist); `-n` on the command line overrides it too.
# docs/testing.md and docs/benchmarks.md#the-test-suite have the figures.
# pytest caches its rewritten test modules as bytecode, and the servers the tests start cache
# pairbook's, unless PYTHONDONTWRITEBYTECODE says not to (set on the machines we run on):
# then each worker rewrote every test module (8 s of CPU, 3 s cached) and each server start
# compiled pairbook again. The caches are __pycache__ folders, ignored by git.
step "pytest"
env -u PYTHONDONTWRITEBYTECODE pytest -n "${PAIRBOOK_TEST_WORKERS:-4}" --dist loadgroup "$@"
