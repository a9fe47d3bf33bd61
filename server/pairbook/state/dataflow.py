"""Dataflow of one cell: the names its source reads from the kernel and the names it binds.

Static and approximate, like any analysis of Python: a cell *reads* a name when the name is
loaded at the cell's top level (or in a comprehension, a class body, a default or a
decorator: everything that runs when the cell runs) before the cell itself bound it; it
*writes* a name when it binds it at top level, deletes it, or mutates it through an item or
attribute assignment (`df["x"] = ...`). Function bodies run later, so what they read is not
a read of the cell. IPython syntax (magics, `!shell`, `x = !ls`, `%%time`) is translated the
way IPython itself does before the source is parsed.
"""

from __future__ import annotations

import ast
import builtins
import functools
from dataclasses import dataclass

BUILTINS = frozenset(dir(builtins)) | {"get_ipython", "display"}
# Magics whose argument (line) or body (cell) is Python run in the user's namespace.
_PYTHON_MAGICS = frozenset({"time", "timeit", "prun", "capture", "debug"})


@dataclass(frozen=True, slots=True)
class CellFlow:
    reads: frozenset[str]
    writes: frozenset[str]
    deletes: frozenset[str] = frozenset()
    # The names it binds (assigns, imports, defines); `writes` also has the names it only
    # changes in place (`df["x"] = 1`).
    binds: frozenset[str] = frozenset()
    star_import: bool = False  # `from m import *`: it binds names we cannot list
    error: str | None = None  # the source does not parse, even as IPython syntax

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"reads": sorted(self.reads), "writes": sorted(self.writes)}
        if self.deletes:
            out["deletes"] = sorted(self.deletes)
        if self.star_import:
            out["star_import"] = True
        if self.error:
            out["error"] = self.error
        return out


CACHED_SOURCE_CHARS = 20_000  # longer sources are analysed each time, not kept


def cell_flow(source: str) -> CellFlow:
    """The names a code cell reads and writes (cached for sources of ordinary size)."""
    return _cell_flow(source) if len(source) <= CACHED_SOURCE_CHARS else _analyse(source)


@functools.lru_cache(maxsize=1024)
def _cell_flow(source: str) -> CellFlow:
    return _analyse(source)


def _analyse(source: str) -> CellFlow:
    try:
        tree = _parse(source)
        scope = _Scope()
        scope.block(tree.body)
    except SyntaxError as exc:
        return CellFlow(frozenset(), frozenset(), error=f"line {exc.lineno}: {exc.msg}")
    except (RecursionError, MemoryError, ValueError) as exc:  # e.g. a 3,000-term sum
        return CellFlow(frozenset(), frozenset(), error=f"too deeply nested to analyse: {exc}")
    return CellFlow(
        frozenset(scope.reads - BUILTINS),
        frozenset(scope.writes),
        frozenset(scope.deletes),
        frozenset(scope.binds),
        scope.star_import,
    )


def _parse(source: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError as plain_error:
        try:
            from IPython.core.inputtransformer2 import TransformerManager
        except ImportError:  # pragma: no cover - IPython comes with ipykernel
            raise plain_error from None
        python = TransformerManager().transform_cell(source)  # type: ignore[no-untyped-call]
        return _expand_magics(ast.parse(python))


def _expand_magics(tree: ast.Module) -> ast.Module:
    """Replace `get_ipython().run_line_magic('time', 'code')` and the cell-magic form by the
    Python they run, so `%time x = f()` binds x."""
    body: list[ast.stmt] = []
    for statement in tree.body:
        code = _magic_code(statement)
        if code is None:
            body.append(statement)
            continue
        try:
            body.extend(_expand_magics(ast.parse(code)).body)
        except SyntaxError:
            body.append(statement)
    tree.body = body
    return tree


def _magic_code(statement: ast.stmt) -> str | None:
    value = statement.value if isinstance(statement, ast.Expr | ast.Assign) else None
    if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Attribute):
        return None
    method = value.func.attr
    args = value.args
    if method not in ("run_line_magic", "run_cell_magic") or not args:
        return None
    if not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
        return None
    name = str(args[0].value).lstrip("%")  # type: ignore[attr-defined]
    if name not in _PYTHON_MAGICS:
        return None
    if method == "run_cell_magic" and len(args) == 3:
        return str(args[2].value)  # type: ignore[attr-defined]
    if method == "run_line_magic" and len(args) == 2 and not isinstance(statement, ast.Assign):
        return str(args[1].value)  # type: ignore[attr-defined]
    return None


class _Scope:
    """Walks statements in execution order, tracking what the cell has bound so far."""

    def __init__(self) -> None:
        self.reads: set[str] = set()
        self.writes: set[str] = set()
        self.deletes: set[str] = set()
        self.binds: set[str] = set()
        self.bound: set[str] = set()
        self.star_import = False

    # -- statements ----------------------------------------------------------------------

    def block(self, statements: list[ast.stmt]) -> None:
        for statement in statements:
            self.statement(statement)

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            self.assignment(node)
        elif isinstance(node, ast.For | ast.AsyncFor):
            self.expr(node.iter)
            self.store(node.target)
            self.block(node.body)
            self.block(node.orelse)
        elif isinstance(node, ast.While | ast.If):
            self.expr(node.test)
            self.block(node.body)
            self.block(node.orelse)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                self.expr(item.context_expr)
                if item.optional_vars is not None:
                    self.store(item.optional_vars)
            self.block(node.body)
        elif isinstance(node, ast.Try | ast.TryStar):
            self.try_statement(node)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            self.definition(node)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            self.import_statement(node)
        elif isinstance(node, ast.Delete):
            self.delete(node)
        elif isinstance(node, ast.Match):
            self.match(node)
        elif not isinstance(node, ast.Global | ast.Nonlocal):
            # Expr, Return, Raise, Assert, ...: whatever expressions it holds
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.expr(child)
                elif isinstance(child, ast.stmt):
                    self.statement(child)

    def assignment(self, node: ast.Assign | ast.AugAssign | ast.AnnAssign) -> None:
        if node.value is None:  # an annotation alone binds nothing
            return
        self.expr(node.value)
        if isinstance(node, ast.AugAssign):
            self.load_target(node.target)  # `x += 1` reads x first
        for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
            self.store(target)

    def try_statement(self, node: ast.Try | ast.TryStar) -> None:
        self.block(node.body)
        for handler in node.handlers:
            if handler.type is not None:
                self.expr(handler.type)
            if handler.name:
                self.bind(handler.name)
            self.block(handler.body)
        self.block(node.orelse)
        self.block(node.finalbody)

    def definition(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        """A def binds its name (its body runs later); a class body runs now, in its own scope."""
        if not isinstance(node, ast.ClassDef):
            for decorator in node.decorator_list:
                self.expr(decorator)
            self.arguments(node.args)
            self.bind(node.name)
            return
        for expression in [*node.decorator_list, *node.bases]:
            self.expr(expression)
        for keyword in node.keywords:
            self.expr(keyword.value)
        body = _Scope()
        body.bound = set(self.bound)
        body.block(node.body)
        self.reads |= body.reads
        self.bind(node.name)

    def import_statement(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if isinstance(node, ast.Import):
                self.bind(alias.asname or alias.name.partition(".")[0])
            elif alias.name == "*":
                self.star_import = True
            else:
                self.bind(alias.asname or alias.name)

    def delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.deletes.add(target.id)
                self.writes.add(target.id)
                self.bound.discard(target.id)
            else:
                self.load_target(target)
                self.mutate(target)

    def match(self, node: ast.Match) -> None:
        self.expr(node.subject)
        for case in node.cases:
            for child in ast.walk(case.pattern):
                name = getattr(child, "name", None)
                if isinstance(name, str):
                    self.bind(name)
                if isinstance(child, ast.MatchValue | ast.MatchClass):
                    self.expr(child.value if isinstance(child, ast.MatchValue) else child.cls)
            if case.guard is not None:
                self.expr(case.guard)
            self.block(case.body)

    def arguments(self, args: ast.arguments) -> None:
        for default in [*args.defaults, *args.kw_defaults]:
            if default is not None:
                self.expr(default)

    # -- targets -------------------------------------------------------------------------

    def bind(self, name: str) -> None:
        self.writes.add(name)
        self.binds.add(name)
        self.bound.add(name)
        self.deletes.discard(name)

    def store(self, target: ast.expr) -> None:
        if isinstance(target, ast.Name):
            self.bind(target.id)
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self.store(element)
        elif isinstance(target, ast.Starred):
            self.store(target.value)
        elif isinstance(target, ast.Attribute | ast.Subscript):
            self.load_target(target)
            self.mutate(target)

    def load_target(self, target: ast.expr) -> None:
        """The names an assignment target reads: `x` in `x += 1`, `df` and `i` in df[i] = v."""
        if isinstance(target, ast.Name):
            self.load(target.id)
        elif isinstance(target, ast.Subscript):
            self.expr(target.value)
            self.expr(target.slice)
        elif isinstance(target, ast.Attribute):
            self.expr(target.value)
        else:
            self.expr(target)

    def mutate(self, target: ast.expr) -> None:
        """`df["x"] = 1` and `obj.attr = 1` change the object the base name holds."""
        base: ast.expr = target
        while isinstance(base, ast.Attribute | ast.Subscript):
            base = base.value
        if isinstance(base, ast.Name):
            self.writes.add(base.id)

    # -- expressions ---------------------------------------------------------------------

    def load(self, name: str) -> None:
        if name not in self.bound:
            self.reads.add(name)

    def expr(self, node: ast.expr) -> None:
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                self.load(node.id)
            return
        if isinstance(node, ast.NamedExpr):
            self.expr(node.value)
            self.store(node.target)
            return
        if isinstance(node, ast.Lambda):
            self.arguments(node.args)  # its body runs later
            return
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            self.comprehension(node)
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expr(child)
            elif isinstance(child, ast.keyword | ast.comprehension):
                for grandchild in ast.iter_child_nodes(child):
                    if isinstance(grandchild, ast.expr):
                        self.expr(grandchild)

    def comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp
    ) -> None:
        inner = _Scope()
        inner.bound = set(self.bound)
        for index, generator in enumerate(node.generators):
            # The first iterable is evaluated in the enclosing scope.
            (self if index == 0 else inner).expr(generator.iter)
            inner.store_local(generator.target)
            for condition in generator.ifs:
                inner.expr(condition)
        if isinstance(node, ast.DictComp):
            inner.expr(node.key)
            inner.expr(node.value)
        else:
            inner.expr(node.elt)
        self.reads |= inner.reads
        # Walrus targets in a comprehension bind in the enclosing scope.
        for name in inner.writes:
            self.bind(name)

    def store_local(self, target: ast.expr) -> None:
        """A comprehension's own variable: bound inside it, invisible outside."""
        for child in ast.walk(target):
            if isinstance(child, ast.Name):
                self.bound.add(child.id)
