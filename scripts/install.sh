#!/usr/bin/env bash
# Installs everything pairbook needs, idempotently: Debian packages, the Python virtual
# environment with pairbook and its dev tools, the Node packages for the interop tests and
# benchmarks, and the browser client build. Re-running skips what is already up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[install]\033[0m %s\n' "$*" >&2; }
stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. Debian packages: Python venv support, Node.js and npm, Chromium for the browser tests,
#    bubblewrap (the kernels' sandbox) and prlimit (their limits; in util-linux), nginx (the
#    reverse proxy of the two-process topology test, as in deploy/; never started as a service).
missing=()
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v chromium >/dev/null || missing+=(chromium)
command -v bwrap >/dev/null || missing+=(bubblewrap)
command -v prlimit >/dev/null || missing+=(util-linux)
command -v redis-server >/dev/null || missing+=(redis-server)  # the broker tests start their own
[ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. Python: a virtual environment with pairbook (editable) and its dev tools.
if [ ! -x .venv/bin/python ]; then
  say "creating the Python virtual environment in .venv"
  python3 -m venv .venv
fi
py_key="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if ! stamp_ok .venv/.pairbook-installed "$py_key"; then
  say "installing pairbook and its Python dependencies"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  echo "$py_key" > .venv/.pairbook-installed
fi
# pip compiles the bytecode of what it installs, but pairbook itself is installed editable:
# where PYTHONDONTWRITEBYTECODE is set (it is on the machines we run on) every `pairbook`
# process compiled its ~250 modules again, about 0.3 s of CPU per start. Compiled here once
# (quick when nothing changed; an edited module is compiled again on import, as usual).
.venv/bin/python -m compileall -q -j 0 server/pairbook

# 2b. The programs the tests run (scripts/tools.txt), in an environment of their own: in .venv
#     they would bring jsonschema's format checkers, which slow every pairbook start. An older
#     .venv that had them loses them (and the slow checker), so it matches a fresh one.
moved=(jupyterlab jupyter-kernel-gateway check-jsonschema kubernetes-validate yamllint
       jupyter-server jupyterlab-server jupyter-lsp notebook-shim jupyter-events rfc3987-syntax)
if .venv/bin/python -m pip show -q rfc3987-syntax >/dev/null 2>&1; then
  say "removing the test programs from .venv (they moved to .venv-tools)"
  .venv/bin/python -m pip uninstall -q -y "${moved[@]}" 2>/dev/null || true
fi
if [ ! -x .venv-tools/bin/python ]; then
  say "creating the tools' virtual environment in .venv-tools"
  python3 -m venv .venv-tools
fi
tools_key="$(sha256sum scripts/tools.txt | cut -d' ' -f1)"
if ! stamp_ok .venv-tools/.pairbook-installed "$tools_key"; then
  say "installing the programs the tests run into .venv-tools"
  .venv-tools/bin/python -m pip install -q --upgrade pip
  .venv-tools/bin/python -m pip install -q -r scripts/tools.txt
  echo "$tools_key" > .venv-tools/.pairbook-installed
fi

# 3. Node packages: stock yjs / y-websocket clients and the Node reference server.
node_key="$(sha256sum package-lock.json | cut -d' ' -f1)"
if ! stamp_ok node_modules/.pairbook-installed "$node_key"; then
  say "installing Node packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$node_key" > node_modules/.pairbook-installed
fi

# 4. The browser client, built into the Python package's static files.
if [ -f client/package.json ]; then
  client_key="$(cat client/package-lock.json client/package.json 2>/dev/null | sha256sum | cut -d' ' -f1)"
  if ! stamp_ok client/node_modules/.pairbook-installed "$client_key"; then
    say "installing the browser client's packages"
    (cd client && npm ci --no-audit --no-fund --loglevel=error)
    echo "$client_key" > client/node_modules/.pairbook-installed
  fi
  src_key="$( (cat "$0"; find client/src client/index.html client/vite.config.* -type f -print0 2>/dev/null | sort -z | xargs -0 cat) | sha256sum | cut -d' ' -f1)"
  if ! stamp_ok server/pairbook/static/.pairbook-built "$src_key"; then
    say "building the browser client"
    (cd client && npm run --silent build)
    echo "$src_key" > server/pairbook/static/.pairbook-built
  fi
fi

# 5. The JupyterLab extension (jupyterlab/), built with @jupyterlab/builder against the
#    JupyterLab in .venv-tools and installed there as a prebuilt extension (a copy, as the
#    wheel's data files would put it), so `jupyter lab` from .venv-tools has it.
if [ -f jupyterlab/package.json ]; then
  jlab_key="$(cat jupyterlab/package-lock.json jupyterlab/package.json | sha256sum | cut -d' ' -f1)"
  if ! stamp_ok jupyterlab/node_modules/.pairbook-installed "$jlab_key"; then
    say "installing the JupyterLab extension's packages"
    (cd jupyterlab && npm ci --no-audit --no-fund --loglevel=error)
    echo "$jlab_key" > jupyterlab/node_modules/.pairbook-installed
  fi
  lab_version="$(.venv-tools/bin/python -c 'import jupyterlab; print(jupyterlab.__version__)')"
  ext_key="$( (cat "$0"; echo "$lab_version"; find jupyterlab/src jupyterlab/style jupyterlab/package.json jupyterlab/tsconfig.json jupyterlab/build.mjs client/src -type f -print0 | sort -z | xargs -0 cat) | sha256sum | cut -d' ' -f1)"
  if ! stamp_ok jupyterlab/labextension/.pairbook-built "$ext_key"; then
    say "building the JupyterLab extension"
    rm -rf jupyterlab/lib jupyterlab/tsconfig.tsbuildinfo jupyterlab/labextension
    (cd jupyterlab && PYTHON=../.venv-tools/bin/python npm run --silent build > /dev/null)
    echo "$ext_key" > jupyterlab/labextension/.pairbook-built
  fi
  installed=.venv-tools/share/jupyter/labextensions/@pairbook/jupyterlab
  if ! stamp_ok "$installed/.pairbook-built" "$ext_key"; then
    rm -rf "$installed" && mkdir -p "$(dirname "$installed")"
    cp -r jupyterlab/labextension "$installed"
  fi
fi
# The jedi seed a sandboxed kernel's first completion starts with (server/pairbook/kernel/caches.py):
# built once per machine and Python/jedi version; pairbook builds it itself when it is missing.
.venv/bin/python -c 'from pairbook.kernel.caches import build_seed, seed_home; build_seed(seed_home())' \
  || say "the jedi seed was not built (the first completion of each kernel parses the stubs itself)"
say "ready"
