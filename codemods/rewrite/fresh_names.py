"""Names for the variables a fix introduces, chosen so that they collide with nothing.

A new name bound in a scope must not rebind a name of that scope, nor capture a name that
the scope or a scope nested in it reads from outside (a global, a builtin). A name that a
nested scope binds for itself, or that an enclosing scope binds but this one never reads,
is no collision. Names handed out earlier in the same scope are taken too.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable

from libcst.helpers import get_full_name_for_node
from libcst.metadata import Scope

from ..analysis.facts import ModuleFacts

_BUILTINS = frozenset(dir(builtins))


def _ancestors(scope: Scope) -> list[Scope]:
    chain = [scope]
    while chain[-1].parent is not chain[-1]:
        chain.append(chain[-1].parent)
    return chain


def _name(access_node: object) -> str | None:
    full = get_full_name_for_node(access_node)  # type: ignore[arg-type]
    return full.split(".", 1)[0] if full else None


class FreshNames:
    """Hands out new names per scope, each one unused there and not handed out before."""

    def __init__(self, scopes: Iterable[Scope]) -> None:
        self.scopes = set(scopes)
        self._claimed: dict[Scope, set[str]] = {}

    @classmethod
    def of(cls, facts: ModuleFacts) -> FreshNames:
        """Fresh names for every scope of the module."""
        return cls(scope for scope in facts.scopes.values() if scope is not None)

    def taken(self, scope: Scope) -> set[str]:
        """The names that a new binding in ``scope`` would collide with."""
        taken = set(_BUILTINS) | self._claimed.get(scope, set())
        taken |= {assignment.name for assignment in scope.assignments}
        outside = set(_ancestors(scope))
        for other in self.scopes:
            if other is not scope and scope not in _ancestors(other):
                continue
            for access in other.accesses:
                # A read that resolves inside the nested scope itself is not captured.
                if other is scope or not access.referents or any(r.scope in outside for r in access.referents):
                    taken.add(_name(access.node) or "")
        return taken

    def pick(self, base: str, scope: Scope) -> str:
        """``base``, or ``base_2``, ``base_3``...: the first that collides with nothing."""
        taken = self.taken(scope)
        name, number = base, 1
        while name in taken:
            number += 1
            name = f"{base}_{number}"
        self._claimed.setdefault(scope, set()).add(name)
        return name
