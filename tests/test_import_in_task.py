"""import-in-task (MP006): imports inside pool tasks and process targets, moved, left alone
and reported."""

from __future__ import annotations

import pytest
from mpfix import registry
from mpfix.engine import analyze
from mpfix.model import Safety
from rule_cases import RuleCases

MP006 = [registry.BY_CODE["MP006"]]
CASES = RuleCases("MP006")


def check(source: str, unsafe_fixes: bool = True):
    return analyze(source, rules=MP006, unsafe_fixes=unsafe_fixes)


FIXES = [
    pytest.param(
        """\
\"\"\"Tasks.\"\"\"
import multiprocessing as mp

ROUNDS = 3


def digest(text):
    \"\"\"A short digest.\"\"\"
    # Only the workers need it.
    import hashlib  # sha256 is always there
    return hashlib.sha256(text.encode()).hexdigest()[:ROUNDS]


def main():
    with mp.Pool(2) as pool:
        return pool.map(digest, ["a"])
""",
        """\
\"\"\"Tasks.\"\"\"
import multiprocessing as mp
# Only the workers need it.
import hashlib  # sha256 is always there

ROUNDS = 3


def digest(text):
    \"\"\"A short digest.\"\"\"
    return hashlib.sha256(text.encode()).hexdigest()[:ROUNDS]


def main():
    with mp.Pool(2) as pool:
        return pool.map(digest, ["a"])
""",
        id="after-the-last-import-with-its-comments",
    ),
    pytest.param(
        """\
from multiprocessing import Pool, Process
LIMIT = 2
from pathlib import Path


def work(folder):
    from posixpath import join as pjoin, sep
    print(pjoin(folder, sep))


if __name__ == "__main__":
    Process(target=work, args=(".",)).start()
    with Pool() as pool:
        pool.map(work, ["."])
""",
        """\
from multiprocessing import Pool, Process
LIMIT = 2
from pathlib import Path
from posixpath import join as pjoin, sep


def work(folder):
    print(pjoin(folder, sep))


if __name__ == "__main__":
    Process(target=work, args=(".",)).start()
    with Pool() as pool:
        pool.map(work, ["."])
""",
        id="task-of-a-pool-too-from-import-after-constants",
    ),
    pytest.param(
        """\
from concurrent.futures import ProcessPoolExecutor


def total(rows):
    result = 0
    for row in rows:
        import math
        result += math.fsum(row)
    try:
        import statistics
        return statistics.mean([result])
    finally:
        pass


def main():
    with ProcessPoolExecutor() as executor:
        return executor.submit(total, [[1.0]]).result()
""",
        """\
from concurrent.futures import ProcessPoolExecutor
import math
import statistics


def total(rows):
    result = 0
    for row in rows:
        result += math.fsum(row)
    try:
        return statistics.mean([result])
    finally:
        pass


def main():
    with ProcessPoolExecutor() as executor:
        return executor.submit(total, [[1.0]]).result()
""",
        id="executor-task-loop-and-try-finally",
    ),
    pytest.param(
        """\
import json
import multiprocessing as mp


def parse(text):
    import json

    return json.loads(text)


if __name__ == "__main__":
    with mp.Pool() as pool:
        print(pool.map(parse, ["[1]"]))
""",
        """\
import json
import multiprocessing as mp


def parse(text):
    return json.loads(text)


if __name__ == "__main__":
    with mp.Pool() as pool:
        print(pool.map(parse, ["[1]"]))
""",
        id="the-module-imports-the-same-already",
    ),
]


@pytest.mark.parametrize(("before", "after"), FIXES)
def test_fixes_with_unsafe_fixes(before: str, after: str) -> None:
    result = check(before)
    assert result.findings and all(f.fix is Safety.UNSAFE for f in result.findings)
    assert result.fixed == after
    again = check(after)
    assert again.findings == [] and not again.changed


@pytest.mark.parametrize(("before", "after"), FIXES)
def test_safe_fixes_leave_it(before: str, after: str) -> None:
    assert not check(before, unsafe_fixes=False).changed


LEFT_ALONE = [
    pytest.param(
        """\
import multiprocessing as mp


def compress(data, fast):
    try:
        import lzma
    except ImportError:
        lzma = None
    if fast:
        import zlib
        return zlib.compress(data)
    while data:
        import bz2
        break
    try:
        pass
    except ValueError:
        import traceback
    return data


def main():
    with mp.Pool() as pool:
        pool.starmap(compress, [(b"x", True)])
""",
        id="optional-conditional-and-error-path-imports",
    ),
    pytest.param(
        """\
import multiprocessing as mp
from concurrent.futures import ThreadPoolExecutor


def setup():
    global np
    import numpy as np


def helper(x):
    import math
    return math.sqrt(x)


def threaded(x):
    import cmath
    return cmath.sqrt(x)


def main():
    with mp.Pool(initializer=setup) as pool:
        pool.map(abs, [1])
    with ThreadPoolExecutor() as executor:
        executor.submit(threaded, 1)
    return helper(4)
""",
        id="initializer-thread-task-and-plain-function",
    ),
    pytest.param(
        """\
import multiprocessing as mp
import simplejson as json

yaml = None


def parse(text):
    import json
    import yaml

    def nested():
        import csv
        return csv

    return json.loads(text), yaml, nested


def main():
    with mp.Pool() as pool:
        pool.map(parse, ["1"])
""",
        id="names-the-module-binds-otherwise-and-nested-functions",
    ),
    pytest.param(
        """\
from concurrent.futures import ProcessPoolExecutor


def check_file(path):
    import multiprocessing  # pylint: disable=import-outside-toplevel
    import os, sys
    from multiprocessing import current_process

    return path, multiprocessing.current_process().name, os.getpid(), len(sys.argv), current_process().pid


def main(paths):
    with ProcessPoolExecutor() as executor:
        return list(executor.map(check_file, paths))
""",
        id="modules-every-worker-has-loaded",
    ),
]


@pytest.mark.parametrize("source", LEFT_ALONE)
def test_leaves_alone(source: str) -> None:
    CASES.assert_leaves_alone(source)


REPORTED = [
    pytest.param(
        """\
import multiprocessing as mp
import sys

sys.path.insert(0, "plugins")


def render(shape):
    import geometry
    return geometry.area(shape)


def main():
    with mp.Pool() as pool:
        pool.map(render, ["square"])
""",
        "the module-level code on line 4 runs between the imports and `render`",
        id="path-set-up-before-the-task",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def read(path):
    from gzip import open
    with open(path) as f:
        return f.read()


def main():
    with mp.Pool() as pool:
        pool.map(read, ["a"])
""",
        "at module level, `open` would shadow the builtin `open` in the whole module",
        id="shadows-a-builtin",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(x):
    import json
    json = json.loads(x)
    return json


def main():
    with mp.Pool() as pool:
        pool.map(work, ["1"])
""",
        "`work` binds `json` again",
        id="rebound-in-the-task",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(x):
    global np
    import numpy as np
    return np.sqrt(x)


def main():
    with mp.Pool() as pool:
        pool.map(work, [1])
""",
        "`work` declares `np` global",
        id="declared-global",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(x):
    import math; y = 2
    return math.sqrt(x) * y


def main():
    with mp.Pool() as pool:
        pool.map(work, [1])
""",
        "the line holds other statements too",
        id="other-statements-on-the-line",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(x):
    import math
    return math.sqrt(x)


def area(r):
    return math.pi * r * r


def main():
    with mp.Pool() as pool:
        pool.map(work, [1])
""",
        "at module level, `math` would change what other code of the module reads",
        id="another-function-reads-the-name",
    ),
    pytest.param(
        """\
import multiprocessing as mp


def work(x):
    import json
    return json.loads(x)


if __name__ == "__main__":
    import json
    with mp.Pool() as pool:
        pool.map(work, ["1"])
""",
        "the module's own import of `json` is under the `__main__` guard",
        id="the-module-imports-it-under-the-guard",
    ),
]


@pytest.mark.parametrize(("source", "reason"), REPORTED)
def test_reports_without_fix(source: str, reason: str) -> None:
    CASES.assert_reports_without_fix(source, reason)



LOADED_OR_NOT = """\
{library}


def check_file(path):
    {statement}
    return path


def main(paths):
    with Pool() as pool:
        return pool.map(check_file, paths)
"""


@pytest.mark.parametrize(
    ("library", "statement"),
    [
        ("from multiprocessing import Pool", "import json"),
        ("from multiprocessing import Pool", "from multiprocessing import shared_memory"),
        ("from multiprocessing import Pool", "import multiprocessing.managers"),
        ("from billiard import Pool", "import multiprocessing"),
        ("from multiprocess import Pool", "from multiprocessing import current_process"),
    ],
)
def test_a_module_a_worker_may_not_have_loaded_is_reported(library: str, statement: str) -> None:
    # A submodule of multiprocessing, or multiprocessing in the workers of a library that
    # forks its code, may still be loaded by the task.
    [finding] = check(LOADED_OR_NOT.format(library=library, statement=statement)).findings
    assert (finding.code, finding.line) == ("MP006", 5)


def test_finding_points_at_the_import_and_names_the_role() -> None:
    source = """\
import multiprocessing as mp


def work(x):
    import math
    return math.sqrt(x)


def main():
    with mp.Pool() as pool:
        pool.map(work, [1])
"""
    [finding] = check(source).findings
    assert (finding.line, finding.column) == (5, 5)
    assert finding.message == (
        "`import math` inside `work` runs every time the pool task runs: import it once, at module level"
    )
    assert finding.fix_title == "Move the import to the module's imports"


# -- a process target runs once per process --------------------------------------------

PROCESS_TARGET = """\
import multiprocessing as mp


def work(x):
    import math
    print(math.sqrt(x))


if __name__ == "__main__":
    child = mp.Process(target=work, args=(4,))
    child.start()
    child.join()
{more}"""


def test_process_target_is_left_alone() -> None:
    result = check(PROCESS_TARGET.format(more=""))
    assert result.findings == [] and not result.changed


def test_process_target_that_is_a_pool_task_too_is_fixed() -> None:
    pooled = "    with mp.Pool() as pool:\n        pool.map(work, [9])\n"
    result = check(PROCESS_TARGET.format(more=pooled))
    assert [f.message for f in result.findings] == [
        "`import math` inside `work` runs every time the pool task runs: import it once, at module level"
    ]
    assert result.fixed == PROCESS_TARGET.format(more=pooled).replace(
        "import multiprocessing as mp\n", "import multiprocessing as mp\nimport math\n"
    ).replace("    import math\n", "")


# -- code for type checkers ------------------------------------------------------------

TYPE_CHECKED = """\
from __future__ import annotations

import multiprocessing as mp
from typing import TYPE_CHECKING
{block}

def digest(text: str) -> str:
    import hashlib
    return hashlib.sha256(text.encode()).hexdigest()


def main() -> None:
    with mp.Pool() as pool:
        pool.map(digest, ["a"])
"""


def test_imports_for_type_checkers_do_not_block_the_move() -> None:
    before = TYPE_CHECKED.format(block="\nif TYPE_CHECKING:\n    from collections.abc import Iterator\n")
    after = before.replace("from typing import TYPE_CHECKING\n", "from typing import TYPE_CHECKING\nimport hashlib\n")
    assert check(before).fixed == after.replace("    import hashlib\n", "")


def test_code_under_a_condition_that_runs_still_blocks_the_move() -> None:
    before = TYPE_CHECKED.format(block="\nif not TYPE_CHECKING:\n    from collections.abc import Iterator\n")
    [finding] = check(before).findings
    assert finding.message.endswith(
        "; not fixed: the module-level code on line 6 runs between the imports and `digest`, "
        "and may prepare this import (`sys.path`, environment variables)"
    )
    assert not check(before).changed


def test_a_name_imported_for_type_checkers_only_is_imported_for_real() -> None:
    """Only removing the task's import would leave `hashlib` unbound when the task runs."""
    before = TYPE_CHECKED.format(block="\nif TYPE_CHECKING:\n    import hashlib\n")
    after = before.replace("from typing import TYPE_CHECKING\n", "from typing import TYPE_CHECKING\nimport hashlib\n")
    assert check(before).fixed == after.replace("    import hashlib\n    return", "    return")


def test_a_name_imported_otherwise_for_type_checkers_is_left_alone() -> None:
    before = TYPE_CHECKED.format(block="\nif TYPE_CHECKING:\n    import hmac as hashlib\n")
    result = check(before)
    assert result.findings == [] and not result.changed


# -- comments that only made sense inside the task -------------------------------------

def test_comments_about_the_import_being_local_stay_behind() -> None:
    before = """\
import multiprocessing as mp


def work(x):
    # lazy import: only the workers need it
    # Hashes of the inputs.
    import hashlib  # pylint: disable=import-outside-toplevel
    import math  # noqa: PLC0415, F401
    import json  # heavy import per task
    from posixpath import sep  # noqa: E402  # the path separator
    import zlib  # fast enough
    return hashlib, math, json, sep, zlib


def main():
    with mp.Pool() as pool:
        pool.map(work, [1])
"""
    after = """\
import multiprocessing as mp
# Hashes of the inputs.
import hashlib
import math  # noqa: F401
import json
from posixpath import sep  # the path separator
import zlib  # fast enough


def work(x):
    return hashlib, math, json, sep, zlib


def main():
    with mp.Pool() as pool:
        pool.map(work, [1])
"""
    assert check(before).fixed == after


# -- Python 3.15's lazy imports (parsed here, never run) -------------------------------

LAZY = """\
import multiprocessing as mp
{imports}


def parse(text):
    import json
    return json.loads(text)


if __name__ == "__main__":
    with mp.Pool() as pool:
        print(pool.map(parse, ["[1]"]))
"""


@pytest.mark.parametrize(
    ("imports", "after"),
    [
        pytest.param(
            "lazy import csv\nlazy from decimal import Decimal as D",
            "lazy import csv\nlazy from decimal import Decimal as D\nimport json",
            id="after-the-lazy-imports",
        ),
        pytest.param("lazy import json", "lazy import json", id="the-module-imports-it-lazily-already"),
        pytest.param(
            "lazy from json import loads\nlazy import json",
            "lazy from json import loads\nlazy import json",
            id="lazily-with-more",
        ),
    ],
)
def test_lazy_imports_are_imports(imports: str, after: str) -> None:
    before = LAZY.format(imports=imports)
    result = check(before)
    assert result.findings and all(f.fix is Safety.UNSAFE for f in result.findings)
    assert result.fixed == LAZY.format(imports=after).replace("    import json\n", "")


def test_a_name_the_module_imports_lazily_as_something_else_is_left_alone() -> None:
    for imports in ("lazy import simplejson as json", "lazy from yaml import json"):
        result = check(LAZY.format(imports=imports))
        assert result.findings == [] and not result.changed, imports


@pytest.mark.parametrize("given", ["work", "partial(work, 2)", "functools.partial(work, 2)"])
def test_a_task_handed_over_through_partial_is_a_task(given: str) -> None:
    source = f"""\\
import functools
import multiprocessing as mp
from functools import partial


def work(x, y=1):
    import math
    return math.sqrt(x * y)


def main():
    with mp.Pool() as pool:
        pool.map({given}, [1])
"""
    [finding] = check(source).findings
    assert (finding.code, finding.line) == ("MP006", 7)
    # A partial of another function runs that one: this one is only called.
    assert check(source.replace(f"pool.map({given}, [1])", "pool.map(partial(max, 0), [work(1)])")).findings == []
