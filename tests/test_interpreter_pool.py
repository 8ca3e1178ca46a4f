"""Python 3.14's ``InterpreterPoolExecutor`` runs each worker as a subinterpreter of the same
process: nothing re-imports the main module under a start method and nothing starts a
process, so the rules about processes stay silent on it. Only parsed here, never run, so
the tests hold on every supported Python."""

from __future__ import annotations

import pytest
from mpfix.engine import analyze

INTERPRETERS = """\
import concurrent.futures as cf

def work(x):
    import json
    return json.dumps(x)

executor = cf.{executor}(2)
print(list(executor.map(work, range(4))))
print(list(executor.map(lambda x: x * 2, range(4))))
executor.shutdown()
"""

FROM_IMPORT = """\
from concurrent.futures import {executor}

with {executor}(2) as pool:
    print(list(pool.map(abs, [-1, -2])))
"""


@pytest.mark.parametrize("source", [INTERPRETERS, FROM_IMPORT], ids=["module-attribute", "from-import"])
def test_an_unguarded_interpreter_pool_with_a_lambda_task_gets_no_finding(source: str) -> None:
    program = source.format(executor="InterpreterPoolExecutor")

    result = analyze(program)

    assert result.findings == []
    assert result.fixed == program


@pytest.mark.parametrize(
    ("source", "codes"),
    [(INTERPRETERS, ["MP001", "MP006", "MP009"]), (FROM_IMPORT, ["MP001"])],
    ids=["module-attribute", "from-import"],
)
def test_the_same_program_on_a_process_pool_is_found(source: str, codes: list[str]) -> None:
    result = analyze(source.format(executor="ProcessPoolExecutor"), fix=False)

    assert sorted({finding.code for finding in result.findings}) == codes


SERIAL_AND_LOST = """\
from concurrent.futures import {executor}


def work(x):
    return x * 2


if __name__ == "__main__":
    with {executor}(2) as pool:
        pool.submit(work, 0)
        for x in range(3):
            print(pool.submit(work, x).result())
"""


@pytest.mark.parametrize("executor", ["InterpreterPoolExecutor", "ThreadPoolExecutor", "ProcessPoolExecutor"])
def test_waiting_for_each_task_and_losing_a_result_are_found_on_every_executor(executor: str) -> None:
    # Subinterpreters run in parallel like processes: a loop that waits for each task runs
    # them one at a time, and an exception in a task whose future is dropped is lost.
    result = analyze(SERIAL_AND_LOST.format(executor=executor), fix=False)

    assert [(finding.code, finding.line) for finding in result.findings] == [("MP012", 10), ("MP002", 12)]
