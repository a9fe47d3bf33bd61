"""The namespace probe as the server sees it: the expression that runs it, and its answer."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

from pairbook.errors import KernelError

PROBE_SOURCE = Path(__file__).with_name("namespace_probe.py").read_text(encoding="utf-8")
PROBE_KEY = "pairbook"

# Installs the probe as a module outside the user's namespace, once per kernel process.
_BOOT = (
    "import sys, types\n"
    "m = types.ModuleType('_pairbook_probe')\n"
    "exec(compile(SOURCE, '<pairbook namespace probe>', 'exec'), m.__dict__)\n"
    "sys.modules['_pairbook_probe'] = m\n"
)


# The probe module, installed if the kernel lacks it; every probe's expression starts so.
# Built once: repr() of the 14 KB source took ~0.5 ms of the event loop before every run's
# request could leave for the kernel.
_INSTALLED = (
    "(__import__('sys').modules.get('_pairbook_probe') or "
    f"__import__('builtins').exec({_BOOT!r}, {{'SOURCE': {PROBE_SOURCE!r}}}) or "
    "__import__('sys').modules['_pairbook_probe'])."
)


# Once the kernel has the module, the probe is called by name: the expression above is the
# module's 14 KB source, which every run request carried and the kernel compiled after
# every run. A kernel that lacks the module then answers KeyError (`probe_missing`).
_CALL = "__import__('sys').modules['_pairbook_probe']."


def _module_call(call: str) -> str:
    """An expression that installs the probe module if the kernel lacks it, then calls it;
    it binds no name in the user's namespace."""
    return _INSTALLED + call


def probe_expressions(since: int, *, installed: bool = False) -> dict[str, str]:
    """user_expressions for a probe of what changed since probe number `since`
    (`installed`: the kernel has the probe module, as far as the server knows)."""
    call = f"probe({int(since)})"
    return {PROBE_KEY: _CALL + call if installed else _module_call(call)}


def probe_missing(user_expressions: dict[str, Any]) -> bool:
    """Whether the kernel lacked the probe module (a kernel the server did not see start)."""
    answer = user_expressions.get(PROBE_KEY)
    return (
        isinstance(answer, dict)
        and answer.get("status") == "error"
        and answer.get("ename") == "KeyError"
        and "_pairbook_probe" in str(answer.get("evalue"))
    )


def packages_expressions(*, wait: bool = True) -> dict[str, str]:
    """The packages lookup (not `wait`ing: answered null while the kernel indexes them)."""
    return {PROBE_KEY: _module_call("packages()" if wait else "packages(wait=False)")}


def probe_answer(user_expressions: dict[str, Any]) -> Any:
    """The probe's JSON value from a reply's user_expressions; KernelError if it failed."""
    answer = user_expressions.get(PROBE_KEY)
    if not isinstance(answer, dict):
        raise KernelError("the kernel did not evaluate the namespace probe")
    if answer.get("status") != "ok":
        raise KernelError(
            f"the namespace probe failed: {answer.get('ename')}: {answer.get('evalue')}"
        )
    text = answer.get("data", {}).get("text/plain")
    if not isinstance(text, str):
        raise KernelError("the namespace probe answered without text")
    try:
        value = json.loads(ast.literal_eval(text))
    except (ValueError, SyntaxError) as exc:
        raise KernelError(f"the namespace probe's answer is not JSON: {exc}") from exc
    # A lone surrogate (a file name from a non-UTF-8 disk, say) cannot go into the shared
    # document: pycrdt would panic mid-transaction. Keep it visible as an escape instead.
    return _without_lone_surrogates(value) if _SURROGATE.search(text) else value


_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _without_lone_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [_without_lone_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_without_lone_surrogates(k): _without_lone_surrogates(v) for k, v in value.items()}
    return value
