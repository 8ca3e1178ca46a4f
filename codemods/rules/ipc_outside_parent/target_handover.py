"""Handing an object to a process target: a new parameter, passed at every start.

The parameter is appended to the positional ones and the object to each ``args=`` tuple
when the function's signature allows (no defaults, no ``*args``); otherwise it becomes a
keyword-only parameter, passed in ``kwargs=``. Starts whose arguments are not literals the
fix can extend are Unfixable.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from ...analysis.ipc import keyword, positional
from ...analysis.statements import declared_names, plain_positional
from ...rewrite.handover import Edits, add_dict_entry, add_keyword, add_parameter, append_element, change_keyword
from .._base import Unfixable
from .ipc_plan import IpcModule, Placed


def check_target(ipc: IpcModule, name: str, names: Sequence[str], placed: Placed | None) -> None:
    function = ipc.function(name)
    if function.decorators:
        raise Unfixable(f"`{name}` is decorated, so a new parameter may not reach it")
    declared = declared_names(function)
    if declared & set(names):
        raise Unfixable(f"`{name}` declares `{min(declared & set(names))}` global or nonlocal")
    keyword_only = not plain_positional(function.params)
    for call in ipc.uses[name].targets:
        ipc.check_site(call, names, placed, f"the start of `{name}`")
        check_arguments(call, function.params, keyword_only, ipc.line_of(call))


def pass_to_target(ipc: IpcModule, name: str, names: Sequence[str], edits: Edits) -> None:
    function = ipc.function(name)
    keyword_only = not plain_positional(function.params)

    def add_parameters(node: cst.FunctionDef) -> cst.FunctionDef:
        for new in names:
            node = add_parameter(node, new, keyword_only)
        return node

    edits.change(function, add_parameters)
    for call in ipc.uses[name].targets:
        edits.change(call, lambda call: extend_start(call, names, keyword_only))


def extend_start(call: cst.Call, names: Sequence[str], keyword_only: bool) -> cst.Call:
    """A start of the target that passes ``names`` too: last in ``args=``, or in ``kwargs=``."""
    word = "kwargs" if keyword_only else "args"
    if keyword(call, word) is None:
        empty = cst.Dict([]) if keyword_only else cst.Tuple([])
        call = add_keyword(call, word, empty, after="args" if keyword(call, "args") else "target")
    for new in names:
        add = add_dict_entry if keyword_only else append_element
        call = change_keyword(call, word, lambda value, new=new, add=add: add(value, new))  # type: ignore[misc]
    return call


def check_arguments(call: cst.Call, params: cst.Parameters, keyword_only: bool, line: int) -> None:
    if any(arg.star for arg in call.args) or positional(call):
        raise Unfixable(f"the start on line {line} passes unpacked or positional arguments")
    if keyword_only:
        kwargs = keyword(call, "kwargs")
        if kwargs is not None and not (
            isinstance(kwargs.value, cst.Dict)
            and all(
                isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString) for e in kwargs.value.elements
            )
        ):
            raise Unfixable(f"`kwargs=` on line {line} is not a dict literal that the fix can extend")
        return
    args = keyword(call, "args")
    expected = len(params.posonly_params) + len(params.params)
    elements = args.value.elements if args is not None and isinstance(args.value, (cst.Tuple, cst.List)) else None
    if args is None and expected == 0:
        return
    if elements is None or any(isinstance(e, cst.StarredElement) for e in elements) or len(elements) != expected:
        raise Unfixable(f"`args=` on line {line} is not a tuple of the target's parameters that the fix can extend")
