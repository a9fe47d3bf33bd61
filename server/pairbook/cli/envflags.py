"""`pairbook serve`'s flags from environment variables: `PAIRBOOK_<FLAG>` for every flag.

A container or a Kubernetes ConfigMap configures pairbook through its environment: each of
serve's flags has a variable named after it (`--kernel-gateway` is PAIRBOOK_KERNEL_GATEWAY,
`--no-twin` is PAIRBOOK_TWIN=false, the folder is PAIRBOOK_DIR). A variable sets the flag's
default, so a flag given on the command line still wins. A value the flag would refuse is
refused the same way, naming the variable.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

PREFIX = "PAIRBOOK_"
TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})


def env_name(action: argparse.Action) -> str:
    """The variable that sets this flag: PAIRBOOK_ and its destination in capitals."""
    return PREFIX + action.dest.upper()


def apply_environment(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    """Set the defaults of `parser`'s flags from `environ` (exits with a clear message on a
    value the flag refuses, as a bad flag does)."""
    defaults: dict[str, Any] = {}
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or action.dest == argparse.SUPPRESS:
            continue
        name = env_name(action)
        raw = environ.get(name)
        if raw is None or action.dest in defaults:
            continue
        try:
            defaults[action.dest] = _convert(action, raw)
        except (argparse.ArgumentTypeError, ValueError, TypeError) as exc:
            parser.error(f"{name}={raw!r}: {exc}")
    parser.set_defaults(**defaults)


def _convert(action: argparse.Action, raw: str) -> Any:
    if action.nargs == 0:  # --flag / --no-flag: a switch
        return _switch(raw)
    if isinstance(action, argparse._AppendAction):  # repeatable: comma-separated
        return [_one(action, part.strip()) for part in raw.split(",") if part.strip()]
    return _one(action, raw)


def _switch(raw: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise ValueError("give true or false (1/0, yes/no, on/off)")


def _one(action: argparse.Action, raw: str) -> Any:
    value = action.type(raw) if callable(action.type) else raw
    if action.choices is not None and value not in action.choices:
        choices = ", ".join(map(str, action.choices))
        raise ValueError(f"choose one of {choices}")
    return value
