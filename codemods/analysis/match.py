"""libcst's matchers (``libcst.matchers``), for the shapes the rules match, without it.

``libcst.matchers`` defines a matcher class for each of libcst's node types when it is
imported, which is half of what a worker pays to load the rules. Here a matcher of a node
type is made by the name of the type (``m.Call(func=m.Name("map"))``), with the node's
fields, positionally in their order or by name, and ``matches`` and ``findall`` answer as
libcst's do for what the rules use:

- a field's value is a string (equal), None, a matcher, ``OneOf``
  (also ``a | b``), or, for a field that holds a sequence, a list of matchers among
  which ``ZeroOrMore()`` (of any, or of a matcher) stands for any number of nodes;
- a field not given matches anything.

Anything else libcst's matchers do (``AllOf``, ``DoesNotMatch``, ``MatchIfTrue``,
metadata, captures) is refused when the matcher is made, so a rule cannot ask for a
shape that would be matched otherwise than libcst matches it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any

import libcst as cst

from .cst_walk import children


class _Either:
    """What ``a | b`` makes of two matchers: ``OneOf(a, b)``."""

    __slots__ = ()

    def __or__(self, other: Matcher | OneOf) -> OneOf:
        return OneOf(self, other)  # type: ignore[arg-type]  # both subclasses are options


class Matcher(_Either):
    """A node of one type (``kind``, its class's name) whose ``fields`` match."""

    __slots__ = ("fields", "kind")

    def __init__(self, kind: str, fields: tuple[tuple[str, Any], ...]) -> None:
        self.kind = kind
        self.fields = fields

    def __repr__(self) -> str:
        return f"{self.kind}({', '.join(f'{name}={value!r}' for name, value in self.fields)})"


class OneOf(_Either):
    """Any one of ``options`` (nested ``OneOf`` are flattened, as libcst does)."""

    __slots__ = ("options",)
    options: tuple[Matcher, ...]

    def __init__(self, *options: Matcher | OneOf) -> None:
        flat: list[Matcher] = []
        for option in options:
            if isinstance(option, OneOf):
                flat.extend(option.options)
            elif isinstance(option, Matcher):
                flat.append(option)
            else:
                raise TypeError(f"OneOf takes node matchers, not {option!r}")
        self.options = tuple(flat)

    def __repr__(self) -> str:
        return f"OneOf({', '.join(map(repr, self.options))})"


class ZeroOrMore:
    """In a sequence: any number of nodes, each matching ``matcher`` (any, by default)."""

    __slots__ = ("matcher",)

    def __init__(self, matcher: Matcher | OneOf | None = None) -> None:
        if matcher is not None and not isinstance(matcher, (Matcher, OneOf)):
            raise TypeError(f"ZeroOrMore takes a node matcher, not {matcher!r}")
        self.matcher = matcher

    def __repr__(self) -> str:
        return f"ZeroOrMore({self.matcher!r})"


def _checked(value: Any, name: str) -> Any:
    """A field's value as this module matches it: what libcst's matchers take and match
    alike here; a list or tuple becomes a tuple."""
    if value is None or (isinstance(value, (str, Matcher, OneOf)) and not isinstance(value, bool)):
        return value
    if isinstance(value, (list, tuple)):
        for item in value:
            if not isinstance(item, (Matcher, OneOf, ZeroOrMore)):
                raise TypeError(f"the sequence of field {name!r} holds {item!r}, not a node matcher")
        return tuple(value)
    raise TypeError(f"field {name!r} cannot be matched against {value!r}")


@functools.cache
def _maker(kind: type[cst.CSTNode]) -> Callable[..., Matcher]:
    names = tuple(field.name for field in dataclasses.fields(kind))

    def make(*args: Any, **kwargs: Any) -> Matcher:
        if len(args) > len(names):
            raise TypeError(f"{kind.__name__} has {len(names)} fields, not {len(args)}")
        given = dict(zip(names, args, strict=False))
        for name, value in kwargs.items():
            if name not in names or name in given:
                raise TypeError(f"{kind.__name__}() takes no field {name!r} here")
            given[name] = value
        return Matcher(kind.__name__, tuple((name, _checked(value, name)) for name, value in given.items()))

    make.__name__ = kind.__name__
    return make


def __getattr__(name: str) -> Callable[..., Matcher]:
    """The matcher of libcst's node type ``name``: ``m.Call(...)``."""
    kind = getattr(cst, name, None)
    if isinstance(kind, type) and issubclass(kind, cst.CSTNode) and dataclasses.is_dataclass(kind):
        return _maker(kind)
    raise AttributeError(f"no matcher {name!r}")


def _node_matches(node: Any, matcher: Matcher | OneOf) -> bool:
    """libcst's ``_matches``: a sentinel matches nothing."""
    if isinstance(node, cst.MaybeSentinel):
        return False
    options = matcher.options if isinstance(matcher, OneOf) else (matcher,)
    for option in options:
        if type(node).__name__ == option.kind and all(
            _attribute_matches(getattr(node, name), value) for name, value in option.fields
        ):
            return True
    return False


def _attribute_matches(actual: Any, desired: Any) -> bool:
    """libcst's ``_attribute_matches``, for the values ``_checked`` lets through."""
    if desired is None:
        return actual is None
    if isinstance(desired, str):
        return bool(actual == desired)
    if isinstance(actual, Sequence):
        return isinstance(desired, tuple) and _sequence_matches(actual, desired)
    if isinstance(desired, tuple):
        return False
    return _node_matches(actual, desired)


def _sequence_matches(nodes: Sequence[Any], matchers: Sequence[Any]) -> bool:
    """libcst's ``_sequence_matches``: ``ZeroOrMore`` takes as many nodes as lets the
    rest match, trying the most first."""
    if not matchers:
        return not nodes
    first = matchers[0]
    if isinstance(first, ZeroOrMore):
        taken = nodes and (first.matcher is None or _attribute_matches(nodes[0], first.matcher))
        return bool(taken and _sequence_matches(nodes[1:], matchers)) or _sequence_matches(nodes, matchers[1:])
    if not nodes:
        return False
    return _node_matches(nodes[0], first) and _sequence_matches(nodes[1:], matchers[1:])


def matches(node: Any, matcher: Matcher | OneOf) -> bool:
    """Whether ``node`` has the shape of ``matcher`` (libcst's ``matches``); a sentinel
    never has."""
    if isinstance(node, cst.RemovalSentinel) or isinstance(matcher, ZeroOrMore):
        return False
    return _node_matches(node, matcher)


def findall(tree: Any, matcher: Matcher | OneOf) -> list[cst.CSTNode]:
    """The nodes of ``tree`` (itself included) that match, in libcst's visiting order."""
    if not isinstance(tree, cst.CSTNode) or isinstance(matcher, ZeroOrMore):
        return []
    found: list[cst.CSTNode] = []
    stack: list[cst.CSTNode] = [tree]
    while stack:
        node = stack.pop()
        if _node_matches(node, matcher):
            found.append(node)
        stack.extend(reversed(children(node)))
    return found
