// Builds the prebuilt extension into labextension/ with @jupyterlab/builder, against the
// JupyterLab that the Python environment has (its staging folder is the "core" the
// extension's shared packages are matched with). Run after `tsc -b`; PYTHON names the
// interpreter (default: ../.venv-tools/bin/python, where scripts/install.sh puts JupyterLab,
// else python3).
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const venvPython = join(here, '..', '.venv-tools', 'bin', 'python')
const python = process.env.PYTHON ?? (existsSync(venvPython) ? venvPython : 'python3')
const staging = execFileSync(python, [
  '-c',
  'import jupyterlab, os; print(os.path.join(os.path.dirname(jupyterlab.__file__), "staging"))'
])
  .toString()
  .trim()
const builder = join(here, 'node_modules', '@jupyterlab', 'builder', 'lib', 'build-labextension.js')
execFileSync(process.execPath, [builder, '--core-path', staging, here], { stdio: 'inherit', cwd: here })
