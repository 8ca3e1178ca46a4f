"""The rule registry.

One entry per rule; the rule's code lives in ``codemods/rules/<snake_case name>.py``, which
defines ``RULE``, its visitor class. Keeping the specs here, apart from the rule modules,
lets the CLI list and select rules and prefilter files without importing libcst.
"""

from __future__ import annotations

from collections.abc import Iterable

from codemods.rule import RuleSpec, Safety

RULES: tuple[RuleSpec, ...] = (
    RuleSpec(
        code="MP001",
        name="missing-main-guard",
        summary="Module-level code starts processes outside an `if __name__ == \"__main__\":` guard",
        safety=Safety.SAFE,
        needles=(b"multiprocessing", b"ProcessPoolExecutor"),
    ),
    RuleSpec(
        code="MP002",
        name="serial-result-wait",
        summary="A loop submits one task and waits for its result before submitting the next",
        safety=Safety.SAFE,
        needles=(b"apply", b"submit"),
    ),
    RuleSpec(
        code="MP003",
        name="ipc-outside-parent",
        summary="A queue, lock or shared value is created where the processes that use it cannot share it",
        safety=Safety.SAFE,
        needles=(b"multiprocessing",),
    ),
    RuleSpec(
        code="MP004",
        name="unlocked-shared-value",
        summary="`v.value += 1` on a shared `Value` or `Array` without holding its lock loses updates",
        safety=Safety.SAFE,
        needles=(b"Value", b"Array"),
    ),
    RuleSpec(
        code="MP005",
        name="map-materializes-iterable",
        summary="`Pool.map()` reads a generator, file or endless iterable into a list and holds every result",
        safety=Safety.SAFE,
        needles=(b"Pool",),
    ),
    RuleSpec(
        code="MP006",
        name="import-in-task",
        summary="An `import` statement inside a pool task or process target runs every time the task runs",
        safety=Safety.UNSAFE,
        needles=(b"multiprocessing", b"ProcessPoolExecutor"),
    ),
    RuleSpec(
        code="MP007",
        name="per-task-setup",
        summary="A pool task opens a connection, creates a client or loads a file on every call",
        safety=Safety.UNSAFE,
        needles=(b"multiprocessing", b"ProcessPoolExecutor"),
    ),
    RuleSpec(
        code="MP008",
        name="global-mutation-in-task",
        summary="A pool task or process target changes a module-level name that the parent never sees change",
        safety=Safety.NONE,
        needles=(b"multiprocessing", b"ProcessPoolExecutor"),
    ),
    RuleSpec(
        code="MP009",
        name="unpicklable-task",
        summary="A lambda, nested function or local class's method is sent to a process that must pickle it",
        safety=Safety.SAFE,
        needles=(b"multiprocessing", b"ProcessPoolExecutor"),
    ),
    RuleSpec(
        code="MP010",
        name="join-before-drain",
        summary="A process is joined before the queue it puts into is read, which can deadlock",
        safety=Safety.SAFE,
        needles=(b"Process",),
    ),
    RuleSpec(
        code="MP011",
        name="pool-not-closed",
        summary="A pool or executor bound to a name is never closed, so its workers outlive their use",
        safety=Safety.SAFE,
        needles=(b"Pool",),
    ),
    RuleSpec(
        code="MP012",
        name="lost-async-result",
        summary="A task is submitted and its result, with any exception it raised, is never read",
        safety=Safety.NONE,
        needles=(b"_async", b"submit"),
    ),
    RuleSpec(
        code="MP013",
        name="import-side-effects",
        summary="Module-level work (output, input, files, the command line) that every child process repeats",
        safety=Safety.SAFE,
        needles=(b"multiprocessing", b"ProcessPoolExecutor"),
    ),
)

BY_CODE = {spec.code: spec for spec in RULES}
BY_NAME = {spec.name: spec for spec in RULES}


class UnknownRuleError(ValueError):
    """A selector that names no rule."""


def lookup(code_or_name: str) -> RuleSpec:
    """The rule with this code (``MP001``) or name (``missing-main-guard``)."""
    spec = BY_CODE.get(code_or_name.upper()) or BY_NAME.get(code_or_name.lower())
    if spec is None:
        raise UnknownRuleError(f"unknown rule {code_or_name!r}")
    return spec


def _matches(spec: RuleSpec, selector: str) -> bool:
    selector = selector.strip()
    if selector.upper() == "ALL":
        return True
    return spec.code.startswith(selector.upper()) or spec.name == selector.lower()


def select(
    selectors: Iterable[str] | None = None, ignore: Iterable[str] | None = None
) -> tuple[RuleSpec, ...]:
    """Rules chosen by code prefixes or names, as ruff's ``--select``/``--ignore``.

    ``None`` selects every rule. A selector that matches no rule is an error, so a typo
    never silently turns a check off.
    """
    selectors = list(selectors) if selectors is not None else ["ALL"]
    if not selectors:
        raise UnknownRuleError("no rule selected: give at least one code, prefix or name")
    ignore = list(ignore or [])
    for selector in [*selectors, *ignore]:
        if not any(_matches(spec, selector) for spec in RULES):
            raise UnknownRuleError(f"unknown rule selector {selector!r}")
    return tuple(
        spec
        for spec in RULES
        if any(_matches(spec, s) for s in selectors) and not any(_matches(spec, s) for s in ignore)
    )


def could_match(data: bytes, specs: Iterable[RuleSpec]) -> bool:
    """The byte-level prefilter: False only when no selected rule can match ``data``."""
    return any(needle in data for spec in specs for needle in spec.needles)
