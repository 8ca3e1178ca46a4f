"""The calls that run when a module is imported, as the pre-checks find them: by a walk of
each statement, and from the index of its nodes by level, which must find the same."""

from __future__ import annotations

import ast
from pathlib import Path

from mpfix.analysis.ast_import_time import indexed, walked
from mpfix.analysis.ast_walk import ModuleIndex
from mpfix.analysis.prechecks import AstFacts, is_main_guard_test

MODULE = """\
import multiprocessing as mp

setup()


@register(name())
def task(x=default(), *, y=lambda: hidden(), z=lambda w=shown(): 0):
    inside()


class Worker(base()):
    size = size_of()

    @staticmethod
    def run(n=run_default()):
        inside_method()

    if __name__ == "__main__":
        in_class_guard()


handler = lambda v=handler_default(): handler_body()

if __name__ == "__main__":
    @guarded_decorator()
    def main(a=guarded_default()):
        pass

    mp.Pool().map(task, [1])
    if __name__ == "__main__":
        nested()
else:
    otherwise()

if __name__ == "__main__" and ready():
    not_surely_a_guard()
"""

RUN = {
    "setup", "register", "name", "default", "shown", "base", "size_of", "run_default", "handler_default",
    "otherwise", "ready", "not_surely_a_guard",
}  # fmt: skip


def _guard(node: ast.If) -> bool:
    return is_main_guard_test(node.test, strict=True)


def _names(calls: list[ast.Call]) -> set[str]:
    return {ast.unparse(call.func).split(".")[-1] for call in calls}


def test_the_calls_that_run_on_import() -> None:
    tree = ast.parse(MODULE)
    index = ModuleIndex(tree)
    walked_calls = [call for statement in tree.body for call in walked(statement, _guard)]
    indexed_calls = [call for levels in index.statements for call in indexed(levels, _guard)]
    assert _names(walked_calls) == RUN
    assert sorted(map(id, indexed_calls)) == sorted(map(id, walked_calls))
    assert {call for _, call in AstFacts(tree, MODULE, index).import_time_calls} == set(walked_calls)


def test_the_index_finds_what_the_walk_finds_in_every_documented_program() -> None:
    for path in sorted((Path(__file__).resolve().parent.parent / "docs" / "snippets").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for statement, levels in zip(tree.body, ModuleIndex(tree).statements, strict=True):
            found = sorted(map(id, indexed(levels, _guard)))
            assert found == sorted(map(id, walked(statement, _guard))), (path, statement.lineno)
