"""MP016 pool-pickled-with-self: a method of an object that holds a pool is sent to a pool.

``self.pool.map(self.work, xs)`` pickles the bound method ``self.work``, and with it
``self``, the pool it holds included: pools and executors refuse to be pickled, under
every start method. A method that reads nothing of ``self`` becomes a ``@staticmethod``,
which pickles by its qualified name and carries no object along.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from ..analysis import match as m
from ..analysis.facts import findall
from ..analysis.ipc import positional
from ..analysis.project.apis import POOLS, TASK_METHODS
from ..prechecks.pool_pickled_with_self import STORED
from ._base import RuleVisitor, Unfixable


def _first_param(function: cst.FunctionDef) -> str | None:
    params = [*function.params.posonly_params, *function.params.params]
    return params[0].name.value if params else None


class PoolPickledWithSelf(RuleVisitor):


    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        methods = {s.name.value: s for s in node.body.body if isinstance(s, cst.FunctionDef)}
        stored = self._stored_pools(methods.values())
        if not stored:
            return
        for method in methods.values():
            own = _first_param(method)
            if own is None or method.decorators:
                continue
            for call in findall(method.body, m.Call(func=m.Attribute(attr=m.OneOf(*map(m.Name, TASK_METHODS))))):
                if isinstance(call, cst.Call):
                    self._check(node, methods, stored, own, call)

    def _stored_pools(self, methods: Iterable[cst.FunctionDef]) -> dict[str, str]:
        """``{attribute: API}`` of the pools that methods store on their object: ``self.pool = Pool()``."""
        stored: dict[str, str] = {}
        for method in methods:
            own = _first_param(method)
            for assign in findall(method.body, m.Assign(value=m.Call())):
                if not (isinstance(assign, cst.Assign) and isinstance(assign.value, cst.Call)):
                    continue
                for target in assign.targets:
                    attribute = target.target
                    if isinstance(attribute, cst.Attribute) and m.matches(attribute.value, m.Name(own or "")):
                        api = next((a for a in STORED if self.bindings.makes(assign.value, {a})), None)
                        if api is not None:
                            stored[attribute.attr.value] = api
        return stored

    def _check(
        self, cls: cst.ClassDef, methods: dict[str, cst.FunctionDef], stored: dict[str, str], own: str, call: cst.Call
    ) -> None:
        args = positional(call)
        task = args[0].value if args else None
        assert isinstance(call.func, cst.Attribute)  # the call was found as a method call: `pool.map(...)`
        if not (isinstance(task, cst.Attribute) and m.matches(task.value, m.Name(own))):
            return
        if not self._process_pool(call.func.value, stored, own):
            return
        name = task.attr.value
        if name in methods and _unbound(methods[name]):
            return  # a static or class method pickles without the object
        held = ", ".join(f"`{own}.{attribute}`" for attribute in sorted(stored))
        message = (
            f"`{own}.{name}` is sent to a process pool, and pickling it pickles `{own}` with the pool it holds "
            f"in {held}: pools and executors cannot be pickled, under every start method"
        )
        try:
            function = self._static_candidate(cls, methods, name)
        except Unfixable as why:
            self.report(task, message, not_fixed=why)
            return
        title = f"Make `{name}` a `@staticmethod`: it reads nothing of `{own}`"
        self.report(task, message, fix=(function, _as_static(function)), fix_title=title)

    def _process_pool(self, receiver: cst.BaseExpression, stored: dict[str, str], own: str) -> bool:
        """The receiver runs its tasks in other processes: a process pool stored on the
        object, or one that the module shows is a process pool."""
        if isinstance(receiver, cst.Attribute) and m.matches(receiver.value, m.Name(own)):
            api = stored.get(receiver.attr.value)
            return api is not None and api in POOLS
        return self.bindings.is_instance(receiver, POOLS)

    def _static_candidate(self, cls: cst.ClassDef, methods: dict[str, cst.FunctionDef], name: str) -> cst.FunctionDef:
        """The method, when it may become a ``@staticmethod`` with nothing else changed."""
        function = methods.get(name)
        if function is None:
            raise Unfixable(f"`{name}` is not defined in `{cls.name.value}`; send a module-level function instead")
        own = _first_param(function)
        if own is None or function.decorators or function.params.posonly_params:
            raise Unfixable(f"`{name}` is not a plain method")
        if self.parent(cls) is not self.module:
            raise Unfixable(f"`{cls.name.value}` is not defined at module level, where pickle finds it")
        if name.startswith("__") and not name.endswith("__"):
            raise Unfixable(f"pickle does not find the name-mangled `{name}` by its name")
        if self._reads(function, own) or findall(function.body, m.Name("super") | m.Name("__class__")):
            raise Unfixable(
                f"`{name}` reads `{own}`: pass what it needs as arguments and make it a module-level function, "
                f"or leave the pool out of `{cls.name.value}`'s pickled state"
            )
        if self._overridden(cls, name) or self._called_on_class(cls, name):
            raise Unfixable(f"`{name}` is overridden or called on the class with an explicit `{own}`")
        return function

    def _reads(self, function: cst.FunctionDef, own: str) -> bool:
        scope = self.scopes.get(function.body)
        return scope is None or any(a.references for a in scope.assignments[own])

    def _overridden(self, cls: cst.ClassDef, name: str) -> bool:
        """A class of the module that derives from ``cls`` by name defines ``name`` too."""
        base = m.Name(cls.name.value) | m.Attribute(attr=m.Name(cls.name.value))
        return any(
            any(m.matches(arg.value, base) for arg in other.bases)
            and any(isinstance(s, cst.FunctionDef) and s.name.value == name for s in other.body.body)
            for other in findall(self.module, m.ClassDef())
            if isinstance(other, cst.ClassDef)
        )

    def _called_on_class(self, cls: cst.ClassDef, name: str) -> bool:
        """``Cls.name`` or ``type(x).name``: a call there may pass the object first."""
        owner = m.Name(cls.name.value) | m.Call(func=m.Name("type"))
        return bool(findall(self.module, m.Attribute(value=owner, attr=m.Name(name))))


def _unbound(function: cst.FunctionDef) -> bool:
    return any(m.matches(d.decorator, m.Name("staticmethod") | m.Name("classmethod")) for d in function.decorators)


def _as_static(function: cst.FunctionDef) -> cst.FunctionDef:
    """``@staticmethod def work(n)`` of ``def work(self, n)``."""
    params = function.params.with_changes(params=function.params.params[1:])
    return function.with_changes(params=params, decorators=[cst.Decorator(decorator=cst.Name("staticmethod"))])


RULE = PoolPickledWithSelf
