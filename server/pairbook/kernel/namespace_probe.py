"""Runs inside the user's kernel: a summary of the user namespace, as JSON.

pairbook sends this file's source to the kernel (it imports nothing from pairbook) and
installs it as the module `_pairbook_probe`, outside the user's namespace. `probe(since)`
returns what changed since the probe numbered `since`: every name whose cheap fingerprint
differs, with a type, a short summary and sizes. It never lets user code hang it: a user
`__repr__` runs under a time limit, with stdout and stderr swallowed, and the whole probe
stops calling user code once its time budget is spent.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import reprlib
import signal
import sys
import threading
import time
import types
from importlib import metadata  # the kernel has it already (ipykernel's)
from itertools import compress, repeat
from operator import is_not
from typing import Any

SUMMARY_CHARS = 120
REPR_SECONDS = 0.05  # one user __repr__
USER_CODE_BUDGET = 0.5  # all user __repr__ calls of one probe together
SMALL_CONTAINER = 16  # containers this small fingerprint their items' identities too
SMALL_ARRAY_BYTES = 1 << 16  # arrays this small fingerprint their bytes
MAX_NAMES = 20_000  # names beyond these (in namespace order) are counted, not described

_IPYTHON_NAMES = frozenset(  # IPython's own names (the rest are in shell.user_ns_hidden)
    {"In", "Out", "_", "__", "___", "_i", "_ii", "_iii", "_ih", "_oh", "_dh", "exit", "quit",
     "get_ipython", "__builtin__", "__builtins__", "__name__", "__doc__", "__package__",
     "__loader__", "__spec__", "_exit_code"}
)  # fmt: skip
_SCALARS = (int, float, complex, bool, str, bytes, type(None))
KEPT_CHARS = 4096  # str and bytes this short are kept, like numbers, to be recognised
_MISSING = object()
_CONTAINERS = (list, tuple, dict, set, frozenset)

_state: dict[str, Any] = {"generation": 0, "fingerprints": {}}


class _Timeout(BaseException):
    """Raised by the alarm in a user __repr__ that runs too long (BaseException, so a
    broad `except Exception` in user code does not swallow it)."""


def _internal(name: str, value: Any, hidden: dict[str, Any]) -> bool:
    if name in _IPYTHON_NAMES:
        return True
    if name in hidden and hidden[name] is value:
        return True
    # _1, _2 (outputs) and _i1, _i2 (inputs) that IPython keeps per execution count
    digits = name[2:] if name.startswith("_i") else name[1:]
    return name.startswith("_") and digits.isdigit()


def _family(value: Any) -> str:
    module = type(value).__module__ or ""
    return module.partition(".")[0]


def fingerprint(value: Any) -> tuple[Any, ...]:
    """Cheap and without user code: identity, type, and what changes in place for the
    types we know (length, items' identities for small containers, array data)."""
    kind = type(value)
    if kind is int:
        return (kind, value.bit_length(), hash(value))
    if kind in _SCALARS:
        return (kind, len(value) if kind in (str, bytes) else 0, hash(value))
    if kind in _CONTAINERS:
        size = len(value)
        if size <= SMALL_CONTAINER:
            if kind is dict:
                inner: tuple[Any, ...] = tuple((id(k), id(v)) for k, v in value.items())
            elif kind in (set, frozenset):
                inner = tuple(sorted(id(v) for v in value))
            else:
                inner = tuple(id(v) for v in value)
            return (kind, id(value), size, inner)
        return (kind, id(value), size)
    family = _family(value)
    if family == "numpy" and hasattr(value, "__array_interface__"):
        data = value.__array_interface__["data"][0]
        sample = hash(value.tobytes()) if value.nbytes <= SMALL_ARRAY_BYTES else None
        return (kind, id(value), data, value.shape, str(value.dtype), sample)
    if family == "pandas" and hasattr(value, "shape"):
        columns = tuple(map(str, getattr(value, "columns", ())))[:64]
        return (kind, id(value), value.shape, columns)
    if isinstance(value, types.FunctionType):
        return (kind, id(value), id(value.__code__))
    return (kind, id(value))


def _plain(mark: tuple[Any, ...]) -> tuple[Any, ...]:
    """A fingerprint with its types as ids: hashing it runs no user code."""
    return tuple(
        id(part) if isinstance(part, type) else _plain(part) if type(part) is tuple else part
        for part in mark
    )


def _type_name(value: Any) -> str:
    kind = type(value)
    module = kind.__module__
    if module in ("builtins", None):
        return kind.__qualname__
    return f"{module}.{kind.__qualname__}"


class _Guard:
    """Calls user code with a per-call alarm and a shared budget; without an alarm (not
    on the main thread) it does not call user code at all."""

    def __init__(self) -> None:
        self.spent = 0.0
        self.can_alarm = threading.current_thread() is threading.main_thread() and hasattr(
            signal, "setitimer"
        )

    def call(self, function: Any, *args: Any) -> tuple[Any, str | None]:
        if not self.can_alarm:
            return None, "not summarised: no time limit available"
        if signal.getitimer(signal.ITIMER_REAL)[0] > 0:
            return None, "not summarised: your code has a timer running"
        if self.spent >= USER_CODE_BUDGET:
            return None, "not summarised: this refresh's time budget is spent"

        def on_alarm(signum: int, frame: Any) -> None:
            raise _Timeout

        previous = signal.signal(signal.SIGALRM, on_alarm)
        started = time.perf_counter()
        sink = io.StringIO()
        try:
            # Re-armed every 20 ms: code that catches the first alarm gets the next one.
            signal.setitimer(signal.ITIMER_REAL, REPR_SECONDS, 0.02)
            try:
                with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                    result = function(*args)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            return result, None
        except _Timeout:
            return None, f"repr took longer than {int(REPR_SECONDS * 1000)} ms"
        except Exception as exc:
            return None, f"repr failed: {type(exc).__name__}"
        finally:
            signal.signal(signal.SIGALRM, previous)
            self.spent += time.perf_counter() - started


_short = reprlib.Repr()
_short.maxstring = SUMMARY_CHARS
_short.maxother = SUMMARY_CHARS
_short.maxlist = _short.maxtuple = _short.maxdict = _short.maxset = 8
_short.maxlevel = 3


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


def _trusted(value: Any) -> bool:
    """Values whose repr runs no user code (builtin scalars and containers of them)."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind in _CONTAINERS and len(value) <= 64:
        items = list(value.items()) if kind is dict else list(value)
        flat = [x for item in items for x in (item if kind is dict else (item,))]
        return all(type(x) in _SCALARS for x in flat)
    return False


def describe(value: Any, guard: _Guard) -> dict[str, Any]:
    """Type, short summary and sizes of one value."""
    info: dict[str, Any] = {"type": _type_name(value)}
    kind = type(value)
    family = _family(value)
    if kind in _CONTAINERS or kind in (str, bytes):
        info["len"] = len(value)
    if family == "numpy" and hasattr(value, "shape") and hasattr(value, "dtype"):
        info["shape"] = list(value.shape)
        info["dtype"] = str(value.dtype)
        info["nbytes"] = int(getattr(value, "nbytes", 0))
    elif family == "pandas" and hasattr(value, "shape"):
        info["shape"] = list(value.shape)
        dtypes: Any = getattr(value, "dtypes", None)
        if hasattr(dtypes, "items"):
            info["dtypes"] = {str(k): str(v) for k, v in list(dtypes.items())[:32]}
        elif hasattr(value, "dtype"):
            info["dtype"] = str(value.dtype)
        with contextlib.suppress(Exception):
            info["nbytes"] = int(value.memory_usage(deep=False, index=True).sum())
    if isinstance(value, types.ModuleType):
        info["summary"] = f"module {value.__name__}"
    elif isinstance(value, type):
        info["summary"] = f"class {value.__module__}.{value.__qualname__}"
    elif isinstance(value, types.FunctionType | types.BuiltinFunctionType):
        info["summary"] = f"function {getattr(value, '__qualname__', '?')}"
    elif kind is bytes:  # reprlib would build the whole repr first
        info["summary"] = _clip(
            repr(value[:SUMMARY_CHARS]) + ("…" if len(value) > SUMMARY_CHARS else "")
        )
    elif _trusted(value):
        info["summary"] = _clip(_short.repr(value))
    elif family == "numpy" and "shape" in info:
        info["summary"] = f"array {'×'.join(map(str, info['shape'])) or 'scalar'} {info['dtype']}"
    elif family == "pandas" and "shape" in info:
        info["summary"] = f"{kind.__name__} {'×'.join(map(str, info['shape']))}"
    else:
        text, problem = guard.call(_short.repr, value)
        info["summary"] = _clip(text) if isinstance(text, str) else f"<{info['type']}>"
        if problem:
            info["note"] = problem
    return info


def probe(since: int = -1) -> str:
    """JSON of the names that changed since probe `since` (all names if `since` is not the
    previous probe), the names removed, and how many modules the kernel has imported."""
    from IPython import get_ipython

    shell = get_ipython()
    namespace = shell.user_ns
    hidden = getattr(shell, "user_ns_hidden", {})
    full = since != _state["generation"]
    previous: dict[str, Any] = {} if full else _state["fingerprints"]
    # Past MAX_NAMES, which names are described depends on the namespace's order: walk all.
    walk = full or len(namespace) > MAX_NAMES
    kept: dict[str, Any] = {} if walk else dict(_state.get("values", {}))
    current: dict[str, Any] = {} if walk else dict(previous)  # unchanged names stay
    for name in current.keys() - namespace.keys():
        del current[name]
        kept.pop(name, None)
    guard = _Guard()
    changed: dict[str, Any] = {}
    suspects = _IPYTHON_NAMES | hidden.keys()
    skipped = 0
    for name in list(namespace) if walk else _candidates(namespace, kept):
        value = namespace.get(name, _MISSING)  # a user __repr__ may have deleted it
        if value is _MISSING or (
            (name in suspects or name[:1] == "_") and _internal(name, value, hidden)
        ):
            current.pop(name, None)
            kept.pop(name, None)
            continue
        if name not in current and len(current) >= MAX_NAMES:
            skipped += 1
            continue
        mark = _mark(value)
        current[name] = mark
        kind = type(value)
        if kind in _SCALARS and (kind not in (str, bytes) or len(value) <= KEPT_CHARS):
            kept[name] = value
        else:
            kept.pop(name, None)
        if previous.get(name) != mark:
            changed[name] = _changed(value, mark, guard)
    removed = [] if full else sorted(previous.keys() - current.keys())
    _state["generation"] += 1
    _state["fingerprints"] = current
    _state["values"] = kept
    return json.dumps(
        {
            "generation": _state["generation"],
            "full": full,
            "changed": changed,
            "removed": removed,
            "count": len(current),
            "skipped": skipped,
            "modules": len(sys.modules),
        },
        default=str,
    )


def _changed(value: Any, mark: Any, guard: _Guard) -> dict[str, Any]:
    """What the view shows of a changed name, with its fingerprint."""
    try:
        info = describe(value, guard)
    except Exception as exc:
        info = {"type": _type_name(value), "summary": f"<{type(exc).__name__}>"}
    info["fingerprint"] = f"{hash(_plain(mark)) & 0xFFFFFFFF:08x}"
    return info


def _candidates(namespace: dict[str, Any], kept: dict[str, Any]) -> list[str]:
    """The names that may have changed, in namespace order: all but those still bound to
    the very (immutable) object the last probe saw, found without a Python-level loop (at
    10,000 names a loop over every name was most of a probe's time)."""
    keys = list(namespace)
    values = list(namespace.values())
    seen = map(kept.get, keys, repeat(_MISSING, len(keys)))
    return list(compress(keys, map(is_not, values, seen)))


def _mark(value: Any) -> Any:
    kind = type(value)
    if kind is str:  # the common cases, by value (hash(-1) == hash(-2) in CPython)
        return (kind, len(value), hash(value))
    if kind is bool or (kind is int and -(2**63) <= value < 2**63):
        return (kind, value)
    if kind is float:
        return (kind, value.hex())
    try:
        return fingerprint(value)
    except Exception:  # a broken array, say
        return (kind, id(value))


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure(root: str) -> set[str]:
    """A distribution and everything it requires (without extras), normalised names."""
    seen: set[str] = set()
    todo = [root]
    while todo:
        name = todo.pop()
        if _normal(name) in seen:
            continue
        seen.add(_normal(name))
        try:
            requirements = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for requirement in requirements:
            if "extra ==" not in requirement:
                todo.append(re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0])
    return seen


def _distributions(wait: bool) -> tuple[Any, set[str]] | None:
    """Module -> distributions, and the kernel's machinery; cached until sys.path changes (a
    `pip install`). Built in a thread (seconds when cold): not `wait`ing, None meanwhile; one
    build at a time, its result its own (one for an older sys.path ends, then this one's)."""
    key = []
    for entry in sys.path:
        if entry in ("", ".", os.getcwd()):
            continue  # the notebook's folder changes with every autosave
        with contextlib.suppress(OSError):
            key.append((entry, os.stat(entry or ".").st_mtime_ns))
    while (cached := _state.get("distributions")) is None or cached[0] != key:
        build = _state.get("building")
        if build is not None and not build[1].is_alive():  # over: its index, or why not
            _state["building"] = None  # a failure is not kept: the next lookup tries again
            if "index" in build[2]:
                _state["distributions"] = build[2]["index"]
            elif build[0] == key:
                raise RuntimeError(f"the package index was not built: {build[2].get('failed')}")
            continue
        if build is None:
            box: dict[str, Any] = {}
            build = (key, threading.Thread(target=_build, args=(key, box), daemon=True), box)
            _state["building"] = build
            build[1].start()
        if not wait:
            return None
        build[1].join()
    return cached[1], cached[2]


def _build(key: list[tuple[str, int]], box: dict[str, Any]) -> None:
    try:
        box["index"] = (key, metadata.packages_distributions(), _closure("ipykernel"))
    except Exception as exc:  # said by the lookup that finds no index
        box["failed"] = f"{type(exc).__name__}: {exc}"


def packages(wait: bool = True) -> str:
    """JSON list of the distributions behind the non-standard modules the kernel imported,
    without the kernel's machinery (ipykernel and its requirements); null while indexing."""
    stdlib: frozenset[str] = getattr(sys, "stdlib_module_names", frozenset())
    tops = sorted({name.partition(".")[0] for name in list(sys.modules)})
    if (index := _distributions(wait)) is None:
        return "null"
    mapping, machinery = index
    found: dict[str, dict[str, Any]] = {}
    for top in tops:
        if top in stdlib or top.startswith("_") or top not in mapping:
            continue
        for dist in mapping[top]:
            if _normal(dist) in machinery:
                continue
            entry = found.setdefault(dist, {"name": dist, "modules": []})
            entry["modules"].append(top)
            with contextlib.suppress(Exception):
                entry["version"] = metadata.version(dist)
    return json.dumps(sorted(found.values(), key=lambda e: str(e["name"]).lower()))
