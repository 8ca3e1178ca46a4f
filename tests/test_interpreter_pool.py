"""Python 3.14's ``InterpreterPoolExecutor`` runs each worker as a subinterpreter of the same
process: nothing re-imports the main module under a start method and nothing starts a
process, so the rules about processes stay silent on it. Only parsed here, never run, so
the tests hold on every supported Python."""

from __future__ import annotations

import pytest

from codemods.engine import analyze

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
