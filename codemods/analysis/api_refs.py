"""Which library APIs a module may refer to, on Python's ``ast``: the cheap twin of
mpfix.analysis.names, for the pre-checks.

libcst's qualified names of an expression come from what imports bind to its root name
(``mp`` in ``mp.get_context("spawn").Pool``), and mpfix.analysis.names follows a name
assigned from ``get_context(...)`` as that context. Here every import and every such
assignment in the module counts, whatever its scope, so the answer over-approximates: a
module where no name may resolve to an API through the library table cannot give a rule
that needs that API a finding. A ``Dataset`` imported from ``datasets`` is no shared
``Value``, however it is spelled.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterable, Mapping

from ..libraries import BY_NAME, CONTEXT_MAKERS, Library, resolve, through_context

# The last part of each context maker's name (``get_context``).
_MAKERS_LAST = frozenset(maker.rsplit(".", 1)[-1] for maker in CONTEXT_MAKERS)


def _chain(expr: ast.expr) -> tuple[str, list[str]] | None:
    """The root name and the attributes after it, calls and subscripts passed through
    (as libcst qualifies ``mp.get_context("spawn").Pool``); None for other roots."""
    parts: list[str] = []
    while not isinstance(expr, ast.Name):
        if isinstance(expr, ast.Attribute):
            parts.append(expr.attr)
            expr = expr.value
        elif isinstance(expr, ast.Call):
            expr = expr.func
        elif isinstance(expr, ast.Subscript):
            expr = expr.value
        else:
            return None
    return expr.id, parts[::-1]


def _root(expr: ast.expr) -> str | None:
    """The root name of :func:`_chain` (None for other roots), without the attributes:
    most attributes of a module (``self.x``, ``np.zeros``) have a root no import binds."""
    while True:
        kind = type(expr)
        if kind is ast.Attribute or kind is ast.Subscript:
            expr = expr.value  # type: ignore[attr-defined]
        elif kind is ast.Call:
            expr = expr.func  # type: ignore[attr-defined]
        else:
            return expr.id if kind is ast.Name else None  # type: ignore[attr-defined]


class ApiRefs:
    """The APIs of the library table that some name of one module may resolve to."""

    def __init__(
        self, sources: Mapping[str, Collection[str]], assignments: Iterable[ast.stmt], names: Iterable[ast.expr]
    ) -> None:
        """``sources``: what each name that an import binds may stand for; ``assignments``:
        the module's assignments; ``names``: its ``Name`` and ``Attribute`` nodes."""
        self._sources = sources
        self._contexts: dict[str, set[str]] = {}
        self.found: dict[str, set[str]] = {}  # API -> the names of the libraries it may be
        for node in assignments:
            self._note_context(node)
        roots = self._sources.keys() | self._contexts.keys()  # no other root resolves (``_add``)
        chains: set[tuple[str, ...]] = set()  # each resolved once, however often it is written
        Name, Attribute = ast.Name, ast.Attribute
        for name in names:
            kind = type(name)
            if kind is Name:
                if name.id in roots:  # type: ignore[attr-defined]
                    chains.add((name.id,))  # type: ignore[attr-defined]
            elif kind is Attribute:
                value = name.value  # type: ignore[attr-defined]
                if type(value) is Name:  # most attributes: ``self.x``, ``np.zeros``
                    if value.id in roots:
                        chains.add((value.id, name.attr))  # type: ignore[attr-defined]
                elif _root(value) in roots and (chain := _chain(name)) is not None:
                    chains.add((chain[0], *chain[1]))
        for root, *parts in chains:
            self._add(root, parts)

    def _roots(self, name: str) -> set[str]:
        """What the root name may stand for: itself, what imports bind to it, a context."""
        return {name, *self._sources.get(name, ()), *self._contexts.get(name, ())}

    def _note_context(self, node: ast.stmt) -> None:
        """Record ``ctx`` of ``ctx = mp.get_context(...)`` as that context's maker."""
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            value, targets = node.value, node.targets
        elif isinstance(node, ast.AnnAssign):
            value, targets = node.value, [node.target]
        if not isinstance(value, ast.Call) or (chain := _chain(value.func)) is None:
            return
        root, parts = chain
        if parts[-1:] and parts[-1] not in _MAKERS_LAST:
            return  # ``x.f(...)``: a maker's name ends as no ``f`` does
        if not parts and root not in self._sources and root not in self._contexts:
            return  # ``f(...)``: only an import can make a bare name a maker
        makers = {".".join([r, *parts]) for r in self._roots(root)} & CONTEXT_MAKERS.keys()
        for target in targets if makers else ():
            if isinstance(target, ast.Name):
                self._contexts.setdefault(target.id, set()).update(makers)

    def _add(self, root: str, parts: list[str]) -> None:
        if root not in self._sources and root not in self._contexts:
            return
        for candidate in self._roots(root):
            found = resolve(through_context(".".join([candidate, *parts])))
            if found is not None:
                self.found.setdefault(found[0], set()).add(found[1].name)

    def refers_to(self, apis: Collection[str], rule: str | None) -> bool:
        """Some name may resolve to one of ``apis`` of a library that ``rule`` hears."""
        return any(_heard(BY_NAME[library], rule) for api in apis for library in self.found.get(api, ()))


def _heard(library: Library, rule: str | None) -> bool:
    """The library's API counts for ``rule``: the rule applies to it, or to a backend
    that an argument may choose (joblib's ``backend="multiprocessing"``)."""
    if rule is None or rule not in library.moot:
        return True
    return any(rule not in BY_NAME[backend].moot for backend in library.backends.values())
