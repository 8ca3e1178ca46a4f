"""per-task-setup (MP007): set-up that pool tasks repeat on every call, moved into a pool
initializer, left alone and reported."""

from __future__ import annotations

import pytest
from mpfix import registry
from mpfix.engine import analyze
from mpfix.model import Safety
from rule_cases import RuleCases

MP007 = [registry.BY_CODE["MP007"]]
CASES = RuleCases("MP007")


def check(source: str, unsafe_fixes: bool = True):
    return analyze(source, rules=MP007, unsafe_fixes=unsafe_fixes)


FIXES = [
    pytest.param(
        """\
import multiprocessing as mp
import sqlite3

DB = "prices.db"


def price(item):
    \"\"\"The price of one item.\"\"\"
    # Read-only: one connection serves every call.
    conn = sqlite3.connect(DB)
    return conn.execute("SELECT price FROM prices WHERE item = ?", (item,)).fetchone()


def main():
    with mp.Pool(2) as pool:
        return pool.map(price, ["apple"])
""",
        """\
import multiprocessing as mp
import sqlite3

DB = "prices.db"


conn = None


def _init_price():
    \"\"\"Pool initializer: set up, once per worker, what every call of `price` uses.\"\"\"
    global conn
    # Read-only: one connection serves every call.
    conn = sqlite3.connect(DB)


def price(item):
    \"\"\"The price of one item.\"\"\"
    return conn.execute("SELECT price FROM prices WHERE item = ?", (item,)).fetchone()


def main():
    with mp.Pool(2, initializer=_init_price) as pool:
        return pool.map(price, ["apple"])
""",
        id="connection-after-the-docstring",
    ),
    pytest.param(
        """\
import json
from concurrent.futures import ProcessPoolExecutor

import requests

SETTINGS = "settings.json"


def fetch(url):
    session = requests.Session()
    settings = json.load(open(SETTINGS))["headers"]
    return session.get(url, headers=settings).status_code


def main(urls):
    with ProcessPoolExecutor(max_workers=4) as executor:
        first = list(executor.map(fetch, urls))
    spare = ProcessPoolExecutor()
    second = spare.submit(fetch, urls[0]).result()
    return first, second
""",
        """\
import json
from concurrent.futures import ProcessPoolExecutor

import requests

SETTINGS = "settings.json"


session = settings = None


def _init_fetch():
    \"\"\"Pool initializer: set up, once per worker, what every call of `fetch` uses.\"\"\"
    global session, settings
    session = requests.Session()
    settings = json.load(open(SETTINGS))["headers"]


def fetch(url):
    return session.get(url, headers=settings).status_code


def main(urls):
    with ProcessPoolExecutor(max_workers=4, initializer=_init_fetch) as executor:
        first = list(executor.map(fetch, urls))
    spare = ProcessPoolExecutor(initializer=_init_fetch)
    second = spare.submit(fetch, urls[0]).result()
    return first, second
""",
        id="two-setups-two-executors",
    ),
    pytest.param(
        """\
import multiprocessing as mp
from sqlite3 import connect as db_connect

import numpy as np

TABLE = "table.npy"
SCHEMA = "schema.sql"


def _init_score():
    pass


def score(row):
    table = np.load(TABLE)
    schema = open(SCHEMA).read()
    return table[row], schema, db_connect


def main():
    pool = mp.Pool()
    return pool.map(score, [0])
""",
        """\
import multiprocessing as mp
from sqlite3 import connect as db_connect

import numpy as np

TABLE = "table.npy"
SCHEMA = "schema.sql"


def _init_score():
    pass


table = schema = None


def _init_score_2():
    \"\"\"Pool initializer: set up, once per worker, what every call of `score` uses.\"\"\"
    global table, schema
    table = np.load(TABLE)
    schema = open(SCHEMA).read()


def score(row):
    return table[row], schema, db_connect


def main():
    pool = mp.Pool(initializer=_init_score_2)
    return pool.map(score, [0])
""",
        id="aliases-a-read-file-and-a-fresh-initializer-name",
    ),
    pytest.param(
        """\
import multiprocessing as mp
import sqlite3


def task(x):
    import json
    conn = sqlite3.connect("a.db")
    return json.dumps(conn.execute("SELECT ?", (x,)).fetchone())


def main():
    with mp.Pool() as pool:
        return pool.map(task, [1])
""",
        """\
import multiprocessing as mp
import sqlite3


conn = None


def _init_task():
    \"\"\"Pool initializer: set up, once per worker, what every call of `task` uses.\"\"\"
    global conn
    conn = sqlite3.connect("a.db")


def task(x):
    import json
    return json.dumps(conn.execute("SELECT ?", (x,)).fetchone())


def main():
    with mp.Pool(initializer=_init_task) as pool:
        return pool.map(task, [1])
""",
        id="after-an-import-in-the-task",
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
import io
import json
import multiprocessing as mp
import pickle
import sqlite3

import numpy as np


def load(path, payload, handle):
    conn = sqlite3.connect(path)
    array = np.load(path)
    obj = pickle.load(io.BytesIO(payload))
    data = json.load(handle)
    text = open(path).read()
    return conn, array, obj, data, text


def main():
    with mp.Pool() as pool:
        pool.starmap(load, [("a", b"", None)])
""",
        id="set-up-from-the-task-arguments",
    ),
    pytest.param(
        """\
import multiprocessing as mp
import sqlite3
from multiprocessing.pool import ThreadPool

DB = "a.db"


def target():
    conn = sqlite3.connect(DB)
    return conn


def setup():
    global conn
    conn = sqlite3.connect(DB)


def threaded(x):
    conn = sqlite3.connect(DB)
    return conn


def plain(x):
    return sqlite3.connect(DB)


def main():
    mp.Process(target=target).start()
    with mp.Pool(initializer=setup) as pool:
        pool.map(abs, [1])
    with ThreadPool() as pool:
        pool.map(threaded, [1])
    return plain(1)
""",
        id="process-target-initializer-thread-task-and-plain-function",
    ),
    pytest.param(
        """\
import json
import multiprocessing as mp
import pickle
import sqlite3

import requests

DB = "a.db"


def connect():
    return None


def task(text):
    def later():
        return sqlite3.connect(DB)

    lazy = lambda: sqlite3.connect(DB)
    page = requests.get("https://example.org")
    return json.loads(text), pickle.loads(b""), connect(), later, lazy, page


def main():
    with mp.Pool() as pool:
        pool.map(task, ["1"])
""",
        id="nested-functions-and-calls-that-set-nothing-up",
    ),
]


@pytest.mark.parametrize("source", LEFT_ALONE)
def test_leaves_alone(source: str) -> None:
    CASES.assert_leaves_alone(source)


TASK = """\
import json
import multiprocessing as mp
import sqlite3

DB = "a.db"
{module}

def task(x):
{body}

{parent}
"""
POOL = """\
def main():
    with mp.Pool() as pool:
        return pool.map(task, [1])
"""

REPORTED = [
    pytest.param(
        "",
        "    conn = sqlite3.connect(DB)\n    try:\n        return conn.execute('select 1')\n    finally:\n"
        "        conn.close()",
        POOL,
        "`task` ends `conn` itself (`close()`, `with`, `del`), so one per call is intended",
        id="closes-it",
    ),
    pytest.param(
        "",
        "    conn = sqlite3.connect(DB)\n    with conn:\n        conn.execute('insert into t values (?)', (x,))",
        POOL,
        "`task` ends `conn` itself (`close()`, `with`, `del`)",
        id="one-transaction-per-call",
    ),
    pytest.param(
        "import contextlib\n",
        "    conn = sqlite3.connect(DB)\n    with contextlib.closing(conn):\n        return conn.execute('select 1')",
        POOL,
        "`task` ends `conn` itself",
        id="closing",
    ),
    pytest.param(
        "",
        "    conn = sqlite3.connect(DB)\n    rows = conn.execute('select 1').fetchall()\n    del conn\n    return rows",
        POOL,
        "`task` ends `conn` itself",
        id="deleted",
    ),
    pytest.param(
        "",
        "    x = x + 1\n    conn = sqlite3.connect(DB)\n    return conn, x",
        POOL,
        "it is not a `NAME = ...` assignment at the top of `task`",
        id="not-at-the-top",
    ),
    pytest.param(
        "",
        "    with open('settings.json') as f:\n        settings = json.load(f)\n    return settings[x]",
        POOL,
        "it is not a `NAME = ...` assignment at the top of `task`",
        id="loaded-in-a-with-block",
    ),
    pytest.param(
        "",
        "    conn = sqlite3.connect(DB)\n    return conn",
        "def main():\n    with mp.Pool(initializer=print) as pool:\n        return pool.map(task, [1])\n",
        "the pool on line 13 has an initializer already; add the setup to it",
        id="pool-has-an-initializer",
    ),
    pytest.param(
        "",
        "    conn = sqlite3.connect(DB)\n    return conn",
        POOL + "\n\nprint(task(1))\n",
        "`task` is also called or used other than as a pool task",
        id="also-called-directly",
    ),
    pytest.param(
        "conn = None\n",
        "    conn = sqlite3.connect(DB)\n    return conn",
        POOL,
        "`conn` is also a module-level name or a builtin",
        id="name-taken-at-module-level",
    ),
    pytest.param(
        "",
        "    conn = sqlite3.connect(PATH)\n    return conn",
        'if __name__ == "__main__":\n    PATH = "b.db"\n    with mp.Pool() as pool:\n        pool.map(task, [1])\n',
        "it reads `PATH`, which is assigned under the `__main__` guard",
        id="reads-a-name-the-guard-assigns",
    ),
    pytest.param(
        "",
        "    conn = sqlite3.connect(DB)\n    return conn",
        "def main(options):\n    with mp.Pool(**options) as pool:\n        return pool.map(task, [1])\n",
        "the pool on line 13 takes unpacked arguments",
        id="pool-with-unpacked-arguments",
    ),
]


@pytest.mark.parametrize(("module", "body", "parent", "reason"), REPORTED)
def test_reports_without_fix(module: str, body: str, parent: str, reason: str) -> None:
    CASES.assert_reports_without_fix(TASK.format(module=module, body=body, parent=parent), reason)


def test_finding_points_at_the_setup_call_and_says_what_it_does() -> None:
    source = TASK.format(module="", body="    conn = sqlite3.connect(DB)\n    return conn", parent=POOL)
    [finding] = check(source).findings
    assert (finding.line, finding.column) == (9, 12)
    assert finding.message == (
        "Each call of the pool task `task` opens a database connection (`sqlite3.connect(DB)`): "
        "create it once per worker, in a pool initializer"
    )
    assert finding.fix_title == "Create it once per worker, in a pool initializer"
