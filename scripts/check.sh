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
step "pytest"
pytest "$@"
