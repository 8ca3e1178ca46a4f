"""pool-pickled-with-self (MP016): a method of an object that holds a pool, sent to a pool.

Each fixed case has a "leaves this alone" twin of the same name; the reported cases say
why the method cannot become a static method.
"""

from __future__ import annotations

import pytest
from rule_cases import RuleCases

CASES = RuleCases("MP016")

FIXED = {
    "executor-submit": (
        """\
from concurrent.futures import ProcessPoolExecutor


class Hasher:
    def __init__(self):
        self._executor = ProcessPoolExecutor(2)

    def digest(self, data):  # one block
        return hash(data)

    def run(self, blocks):
        return [self._executor.submit(self.digest, b).result() for b in blocks]
""",
        """\
from concurrent.futures import ProcessPoolExecutor


class Hasher:
    def __init__(self):
        self._executor = ProcessPoolExecutor(2)

    @staticmethod
    def digest(data):  # one block
        return hash(data)

    def run(self, blocks):
        return [self._executor.submit(self.digest, b).result() for b in blocks]
""",
    ),
    "pool-in-a-with-block": (
        """\
import multiprocessing as mp


class Job:
    def __init__(self):
        self.helpers = mp.pool.ThreadPool(2)

    def step(this, n):
        return n + 1

    def run(this, numbers):
        with mp.get_context("spawn").Pool(2) as pool:
            return pool.map(this.step, numbers)
""",
        """\
import multiprocessing as mp


class Job:
    def __init__(self):
        self.helpers = mp.pool.ThreadPool(2)

    @staticmethod
    def step(n):
        return n + 1

    def run(this, numbers):
        with mp.get_context("spawn").Pool(2) as pool:
            return pool.map(this.step, numbers)
""",
    ),
}

LEFT_ALONE = {
    "executor-submit": """\
from concurrent.futures import ProcessPoolExecutor


class Hasher:
    def __init__(self):
        self._executor = ProcessPoolExecutor(2)

    @staticmethod
    def digest(data):
        return hash(data)

    @classmethod
    def name(cls, data):
        return cls.__name__

    def run(self, blocks):
        self._executor.submit(self.name, blocks[0]).result()
        return [self._executor.submit(self.digest, b).result() for b in blocks]
""",
    # A thread pool runs its tasks in this process: nothing is pickled.
    "pool-in-a-with-block": """\
import multiprocessing as mp
from multiprocessing.pool import ThreadPool


class Job:
    def __init__(self):
        self.helpers = mp.Pool(2)
        self.threads = ThreadPool(2)

    def step(self, n):
        return n + 1

    def run(self, numbers):
        with ThreadPool(2) as pool:
            pool.map(self.step, numbers)
        return self.threads.map(self.step, numbers)
""",
}

REPORTED = {
    "super": (
        """\
import multiprocessing as mp


class Base:
    def step(self, n):
        return n


class Job(Base):
    def __init__(self):
        self.pool = mp.Pool(2)

    def step(self, n):
        return super().step(n) + 1

    def run(self, numbers):
        return self.pool.map(self.step, numbers)
""",
        "`step` reads `self`",
    ),
    "overridden": (
        """\
import multiprocessing as mp


class Job:
    def __init__(self):
        self.pool = mp.Pool(2)

    def step(self, n):
        return n + 1

    def run(self, numbers):
        return self.pool.map(self.step, numbers)


class Twice(Job):
    def step(self, n):
        return 2 * n
""",
        "`step` is overridden or called on the class",
    ),
    "called-on-the-class": (
        """\
import multiprocessing as mp


class Job:
    def __init__(self):
        self.pool = mp.Pool(2)

    def step(self, n):
        return n + 1

    def run(self, numbers):
        Job.step(self, 0)
        return self.pool.map(self.step, numbers)
""",
        "`step` is overridden or called on the class",
    ),
    "local-class": (
        """\
import multiprocessing as mp


def main():
    class Job:
        def __init__(self):
            self.pool = mp.Pool(2)

        def step(self, n):
            return n + 1

        def run(self, numbers):
            return self.pool.map(self.step, numbers)

    return Job().run([1])
""",
        "`Job` is not defined at module level",
    ),
    "name-mangled": (
        """\
import multiprocessing as mp


class Job:
    def __init__(self):
        self.pool = mp.Pool(2)

    def __step(self, n):
        return n + 1

    def run(self, numbers):
        return self.pool.map(self.__step, numbers)
""",
        "pickle does not find the name-mangled `__step`",
    ),
    "inherited": (
        """\
import multiprocessing as mp


class Base:
    def step(self, n):
        return n + 1


class Job(Base):
    def __init__(self):
        self.pool = mp.Pool(2)

    def run(self, numbers):
        return self.pool.map(self.step, numbers)
""",
        "`step` is not defined in `Job`",
    ),
}


@pytest.mark.parametrize("case", FIXED)
def test_fixes(case: str) -> None:
    CASES.assert_fixes(*FIXED[case])


@pytest.mark.parametrize("case", LEFT_ALONE)
def test_leaves_alone(case: str) -> None:
    CASES.assert_leaves_alone(LEFT_ALONE[case])


@pytest.mark.parametrize("case", REPORTED)
def test_reports_without_fix(case: str) -> None:
    CASES.assert_reports_without_fix(*REPORTED[case])


def test_every_fixed_case_has_a_twin() -> None:
    assert FIXED.keys() == LEFT_ALONE.keys()
