"""What a name is bound to, as far as one module shows, through libcst's scope analysis.

A rule that may only act on a proven pool (``pool.apply(...)`` is also pandas' and
mpire's) follows a name to every binding that reaches it: an assignment, a ``with ... as``,
an annotation, or, for a parameter, the argument that every call in the module passes.
"""

from __future__ import annotations

from collections.abc import Collection

import libcst as cst
from libcst.metadata import Assignment, BaseAssignment, ParentNodeProvider, ScopeProvider

from .facts import ModuleFacts
from .names import ApiResolver, api_of

MAX_DEPTH = 4  # how many bindings (alias of alias, parameter of a caller's parameter) to follow


class Bindings:
    """Answers for the nodes of one module, from its facts' metadata (``visitor``) and
    its resolver ``api``."""

    def __init__(self, visitor: ModuleFacts, api: ApiResolver) -> None:
        self.visitor = visitor
        self.api = api

    def parent(self, node: cst.CSTNode | None) -> cst.CSTNode | None:
        return self.visitor.get_metadata(ParentNodeProvider, node, None) if node is not None else None

    def of(self, name: cst.Name) -> list[cst.CSTNode | None]:
        """The nodes that bind ``name`` where it is read: target names, parameters, defs
        (None for a binding without a node, such as an import or a builtin)."""
        scope = self.visitor.get_metadata(ScopeProvider, name, None)
        accesses = [a for a in scope.accesses[name] if a.node is name] if scope is not None else []
        return [getattr(r, "node", None) for a in accesses for r in a.referents]

    def single_value(self, name: cst.Name) -> cst.BaseExpression | None:
        """The value assigned to ``name`` when one plain assignment is all that binds it."""
        bindings = self.of(name)
        target = self.parent(bindings[0]) if len(bindings) == 1 and bindings[0] is not None else None
        if isinstance(target, cst.AssignTarget) and target.target is bindings[0]:
            return self.assigned(target)
        return None

    def with_value(self, name: cst.Name) -> cst.BaseExpression | None:
        """``x`` of ``with open(...) as x``, when that is all that binds the name."""
        bindings = self.of(name)
        if len(bindings) != 1 or bindings[0] is None:
            return None
        as_name = self.parent(bindings[0])
        item = self.parent(as_name) if isinstance(as_name, cst.AsName) else None
        return item.item if isinstance(item, cst.WithItem) else None

    def assigned(self, target: cst.AssignTarget) -> cst.BaseExpression:
        """The value of the assignment that ``target`` is a target of."""
        return cst.ensure_type(self.parent(target), cst.Assign).value

    def definition(self, name: cst.Name) -> cst.FunctionDef | None:
        """The ``def`` of ``name`` when that is all that binds it."""
        bindings = self.of(name)
        return bindings[0] if len(bindings) == 1 and isinstance(bindings[0], cst.FunctionDef) else None

    def makes(self, call: cst.Call, apis: Collection[str]) -> bool:
        """``call`` creates one of ``apis``, also through a ``ctx = get_context()`` of a
        function's own (ApiResolver follows module-level contexts only)."""
        if self.api.call_api(call) in apis:
            return True
        func = call.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)) or func.attr.value not in apis:
            return False
        bindings = self.of(func.value)
        return bool(bindings) and all(
            isinstance(target := self.parent(b), cst.AssignTarget)
            and self.api.call_api(self.assigned(target)) == "get_context"
            for b in bindings
        )

    def is_instance(self, expr: cst.BaseExpression, apis: Collection[str], depth: int = 0) -> bool:
        """``expr`` provably is one of ``apis``: made right there, or a name that every
        binding reaching it binds to one (made, annotated or passed in as one)."""
        if isinstance(expr, cst.Call):
            return self.makes(expr, apis)
        if not isinstance(expr, cst.Name) or depth > MAX_DEPTH:
            return False
        bindings = self.of(expr)
        return bool(bindings) and all(self._binds(node, apis, depth + 1) for node in bindings)

    def _binds(self, node: cst.CSTNode | None, apis: Collection[str], depth: int) -> bool:
        if isinstance(node, cst.Param):
            if node.annotation is not None:
                return self.api.api(node.annotation.annotation) in apis
            return self._every_call_passes(node, apis, depth)
        parent = self.parent(node) if node is not None else None
        if isinstance(parent, cst.AssignTarget) and parent.target is node:
            return self.is_instance(self.assigned(parent), apis, depth)
        if (unpacked := self._unpacked(node)) is not None:
            return self.is_instance(unpacked, apis, depth)
        if isinstance(parent, cst.AnnAssign) and parent.target is node:
            made = parent.value is not None and self.is_instance(parent.value, apis, depth)
            return made or self.api.api(parent.annotation.annotation) in apis
        if isinstance(parent, cst.AsName) and isinstance(item := self.parent(parent), cst.WithItem):
            return self.is_instance(item.item, apis, depth)
        return False

    def _unpacked(self, node: cst.CSTNode | None) -> cst.BaseExpression | None:
        """What ``a, b = x, y`` binds the name ``node`` to (``x`` for ``a``): its place in a
        tuple or list of names that takes a tuple or list of as many values, none starred."""
        element = self.parent(node) if isinstance(node, cst.Name) else None
        names = self.parent(element) if isinstance(element, cst.Element) else None
        if not isinstance(names, (cst.Tuple, cst.List)):
            return None
        target = self.parent(names)
        if not (isinstance(target, cst.AssignTarget) and target.target is names):
            return None
        values = self.assigned(target)
        if not isinstance(values, (cst.Tuple, cst.List)) or len(values.elements) != len(names.elements):
            return None
        if any(not isinstance(e, cst.Element) for e in (*values.elements, *names.elements)):
            return None
        return values.elements[list(names.elements).index(element)].value  # type: ignore[arg-type]

    def _every_call_passes(self, param: cst.Param, apis: Collection[str], depth: int) -> bool:
        """Every use of the parameter's function is a call, and each passes one of ``apis``."""
        parameters = self.parent(param)
        function = self.parent(parameters) if parameters is not None else None
        if not isinstance(function, cst.FunctionDef) or function.decorators:
            return False
        scope = self.visitor.get_metadata(ScopeProvider, function, None)
        bindings = list(scope.assignments[function.name.value]) if scope is not None else []
        if len(bindings) != 1 or not bindings[0].references:
            return False
        positional = [*function.params.posonly_params, *function.params.params]
        for reference in bindings[0].references:
            call = self.parent(reference.node)
            if not isinstance(call, cst.Call) or call.func is not reference.node or any(a.star for a in call.args):
                return False
            given = [a for a in call.args if a.keyword is None]
            index = positional.index(param) if param in positional else len(given)
            named = [a for a in call.args if a.keyword is not None and a.keyword.value == param.name.value]
            arg = given[index] if index < len(given) else next(iter(named), None)
            if arg is None or not self.is_instance(arg.value, apis, depth):
                return False
        return True


def bound_node(assignment: BaseAssignment) -> cst.CSTNode | None:
    """The node that binds ``assignment``'s name; None for a builtin, which none binds."""
    return assignment.node if isinstance(assignment, Assignment) else None


def bindings_of(facts: ModuleFacts, rule: str | None = None) -> Bindings:
    """The module's bindings, shared by every rule; ``rule``: through the resolver that rule hears."""
    return facts.memo((Bindings, rule), lambda: Bindings(facts, api_of(facts, rule)))
