"""Property tests of the engine on generated code.

* Random Python (hypothesmith) never crashes the engine, with or without its pre-checks:
  it is analysed, or refused (SourceError) whatever the options, and a text that no fix
  changes comes back as is. (Random code almost never holds a finding: the fixes are for
  the next properties.)
* Generated multiprocessing programs, alone or with random Python spliced in, are fixed to
  a fixpoint that compiles, keeps every comment and leaves no finding that a fix run would
  still fix; the same text always gives the same findings, with or without the pre-checks.

Derandomized and without an example database, so CI sees the same examples every run;
Hypothesis keeps its caches in a temporary folder, never in the working tree.
"""

from __future__ import annotations

import ast
import atexit
import io
import os
import shutil
import tempfile
import tokenize
import warnings
from collections import Counter
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    # Database or not, Hypothesis caches what it reads from the code (and unicode tables)
    # in ./.hypothesis, from the moment hypothesmith is imported.
    _HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="mpfix-hypothesis-")
    set_hypothesis_home_dir(_HYPOTHESIS_HOME)
    atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, ignore_errors=True)

import hypothesmith
import libcst
from mpfix.engine import NotReproducible, Result, SourceError, analyze

# Generated code is full of `1()` and `"a" is 1`: the warnings say so, the engine does not care.
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

# Sized to keep this module well under a minute on two cores (see --durations).
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


def analyse_or_refuse(source: str, **options: object) -> Result | None:
    """The engine's result; None when it refuses the source (SourceError, the one refusal allowed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarnings of generated code
        try:
            return analyze(source, **options)  # type: ignore[arg-type]
        except SourceError:
            return None


def assert_no_crash_and_unchanged_without_findings(source: str) -> None:
    for prefix in ("", "import multiprocessing as mp\n"):  # bare, and with a reason for rules to look
        text = prefix + source
        checked = analyse_or_refuse(text, fix=False)
        full = analyse_or_refuse(text, fix=False, precheck=False)  # every rule's visitor, whatever the pre-checks say
        fixed = analyse_or_refuse(text, fix=True, unsafe_fixes=True)
        assert (checked is None) == (fixed is None)
        if checked is None or fixed is None:
            assert full is None  # what cannot be parsed with the pre-checks cannot be parsed without
            continue
        if full is None:
            # Libcst cannot parse the text, and the pre-checks spared it the attempt: no rule applies.
            assert checked.findings == fixed.findings == []
            with pytest.raises(libcst.ParserSyntaxError):
                libcst.parse_module(text)
            continue
        # The pre-checks only skip work: they hide no finding.
        assert checked.findings == full.findings == fixed.findings
        if not fixed.applied:
            assert fixed.fixed == text
        else:
            assert_fixpoint(text, fixed, unsafe=True)


def assert_fixpoint(source: str, first: Result, unsafe: bool) -> None:
    """``first`` (the fix of ``source``) compiles, and a second run changes nothing."""
    compile(first.fixed, "<fixed>", "exec", dont_inherit=True)
    again = analyze(first.fixed, unsafe_fixes=unsafe)
    assert (again.applied, again.fixed) == ([], first.fixed)
    assert again.findings == first.remaining


@settings(FUZZ, max_examples=100)
@given(hypothesmith.from_grammar())
def test_grammar_generated_modules_never_crash_the_engine(source: str) -> None:
    assert_no_crash_and_unchanged_without_findings(source)


@settings(FUZZ, max_examples=40)  # libcst's generator is the slow one
@given(hypothesmith.from_node(libcst.Module))
def test_libcst_generated_modules_never_crash_the_engine(source: str) -> None:
    assert_no_crash_and_unchanged_without_findings(source)


# -- generated multiprocessing programs -----------------------------------------------


@dataclass(frozen=True)
class Style:
    """How a program imports multiprocessing, and what it calls the names it uses."""

    imports: str
    pool: str
    process: str
    queue: str
    value: str
    lock: str


STYLES = [
    Style("import multiprocessing\n", *(f"multiprocessing.{n}" for n in ("Pool", "Process", "Queue", "Value", "Lock"))),
    Style("import multiprocessing as mp\n", "mp.Pool", "mp.Process", "mp.Queue", "mp.Value", "mp.Lock"),
    Style(
        "import multiprocessing as mp\n\nctx = mp.get_context('spawn')\n",
        "ctx.Pool", "ctx.Process", "ctx.Queue", "ctx.Value", "ctx.Lock",
    ),
    Style(
        "from multiprocessing import Lock, Pool, Process, Queue, Value\n", "Pool", "Process", "Queue", "Value", "Lock"
    ),
    Style(
        "from multiprocessing import Lock as L, Pool as P, Process as Proc, Queue as Q, Value as V\n",
        "P", "Proc", "Q", "V", "L",
    ),
]  # fmt: skip

TASK = """
def work(x):
    return x * 2
"""
FUNCTIONS = (
    """
from concurrent.futures import ProcessPoolExecutor

"""
    + TASK
    + """

def put(queue, n):
    queue.put(n * n)


def bump(counter):
    counter.value += 1


def work_with_import(x):
    import math

    return math.sqrt(x)
"""
)

# Statement blocks, as lines, with {pool}, {process}, ... filled in from the style and {n} a count.
BLOCKS = {
    "map": ["with {pool}(2) as pool:", "    print(pool.map(work, range({n})))"],
    "map-lambda": ["with {pool}(2) as pool:", "    print(pool.map(lambda v: v + 1, range({n})))"],
    "gather": [
        "with {pool}(2) as pool:",
        "    results = [pool.apply_async(work, (i,)) for i in range({n})]",
        "    print([r.get() for r in results])",
    ],
    "serial-wait": [
        "with {pool}(2) as pool:",
        "    for i in range({n}):",
        "        print(pool.apply_async(work, (i,)).get())",
    ],
    "unclosed-pool": ["pool = {pool}(2)", "print(pool.map(work_with_import, [1, 4]))"],
    "lost-result": [
        "with {pool}(2) as pool:",
        "    pool.apply_async(work, (1,))",
        "    pool.close()",
        "    pool.join()",
    ],
    "join-before-drain": [
        "queue = {queue}()",
        "procs = [{process}(target=put, args=(queue, i)) for i in range({n})]",
        "for proc in procs:",
        "    proc.start()",
        "for proc in procs:",
        "    proc.join()",
        "print(sorted(queue.get() for _ in procs))",
    ],
    "shared-value": [
        "counter = {value}('i', 0)",
        "workers = [{process}(target=bump, args=(counter,)) for _ in range({n})]",
        "for w in workers:",
        "    w.start()",
        "for w in workers:",
        "    w.join()",
        "print(counter.value)",
    ],
    "lock": ["lock = {lock}()", "with lock:", "    print('locked')"],
    "executor": [
        "with ProcessPoolExecutor(2) as executor:",
        "    futures = [executor.submit(work, i) for i in range({n})]",
        "    print([f.result() for f in futures])",
    ],
    "executor-serial": [
        "with ProcessPoolExecutor() as executor:",
        "    for i in range({n}):",
        "        print(executor.submit(work, i).result())",
    ],
    "side-effect": ["print('starting')"],
}
PLACES = ("module", "guard", "main", "loop-in-guard", "loop-at-module")
RANDOM_CODE = "# random code"  # the comment above spliced-in random code


def _indent(lines: list[str], depth: int = 1) -> list[str]:
    return ["    " * depth + line if line else line for line in lines]


def program(style: Style, blocks: list[tuple[str, int]], place: str, random_code: tuple[str, int] | None = None) -> str:
    """A program of ``blocks`` (name, count), at ``place``; ``random_code`` (its text, and
    where it goes: -1 into the pool task, else before that block)."""
    names = {"pool": style.pool, "process": style.process, "queue": style.queue, "value": style.value}
    names["lock"] = style.lock
    parts = [
        # Every comment is unique, so each can be traced.
        [f"# step {number}: {block}", *(line.format(n=count, **names) for line in BLOCKS[block])]
        for number, (block, count) in enumerate(blocks)
    ]
    functions = FUNCTIONS
    if random_code is not None:
        code, where = [RANDOM_CODE, *random_code[0].splitlines()], random_code[1]
        if where < 0:
            functions = FUNCTIONS.replace(TASK, TASK.replace("    return", "\n".join(_indent(code)) + "\n    return"))
        else:
            parts.insert(where, code)
    body = [line for part in parts for line in part]
    guard = 'if __name__ == "__main__":'
    if place == "module":
        script = body
    elif place == "guard":
        script = [guard, *_indent(body)]
    elif place == "main":
        script = ["def main():", *_indent(body), "", "", guard, "    main()"]
    elif place == "loop-in-guard":
        script = [guard, "    for round_ in range(2):  # two rounds", *_indent(body, 2)]
    else:
        script = ["for round_ in range(2):  # two rounds", *_indent(body)]
    return "# A generated program.\n" + style.imports + functions + "\n\n" + "\n".join(script) + "\n"


@st.composite
def multiprocessing_programs(draw: st.DrawFn, random_code: st.SearchStrategy[str] | None = None) -> str:
    """A program of a few blocks, at one place; with ``random_code``, a module drawn from
    it goes in among the blocks or into the pool task (only programs that compile)."""
    style = draw(st.sampled_from(STYLES))
    chosen = draw(st.lists(st.sampled_from(sorted(BLOCKS)), min_size=1, max_size=4))
    blocks = [(block, draw(st.integers(min_value=1, max_value=5))) for block in chosen]
    spliced = None
    if random_code is not None:
        into_task = draw(st.booleans())
        where = -1 if into_task else draw(st.integers(min_value=0, max_value=len(blocks)))
        spliced = (draw(random_code), where)
    source = program(style, blocks, draw(st.sampled_from(PLACES)), spliced)
    if random_code is not None:
        assume(_compiles(source))
    return source


def _compiles(source: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(source, "<generated>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            return False
    return True


def _comments(source: str) -> Counter[str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return Counter(token.string for token in tokens if token.type == tokenize.COMMENT)


def assert_fixed_soundly(source: str, first: Result, unsafe: bool) -> None:
    """What `mpfix fix` promises of ``first``, the fix of ``source``."""
    assert_fixpoint(source, first, unsafe)
    # Every comment is still there (the fixes move code, they drop none of its comments).
    assert _comments(source) - _comments(first.fixed) == Counter()
    # Nothing that a fix run marks as fixable ([*]) is left after one.
    assert [finding for finding in first.remaining if finding.fixable(unsafe)] == []
    if not first.applied:
        assert first.fixed == source
    # The same findings every time, with the pre-checks or without them.
    assert analyze(source, fix=False, precheck=False).findings == first.findings


@FUZZ
@given(multiprocessing_programs(), st.booleans())
def test_generated_multiprocessing_programs_are_fixed_to_a_fixpoint_that_compiles(source: str, unsafe: bool) -> None:
    ast.parse(source)  # the generator makes valid programs

    assert_fixed_soundly(source, analyze(source, unsafe_fixes=unsafe), unsafe)


@FUZZ
@given(multiprocessing_programs(random_code=hypothesmith.from_grammar()), st.booleans())
# Trailing whitespace-only lines and indented comments that libcst drops from its tree, or
# keeps in a block that a fix moves: they must come out of the fix unchanged, never lost.
@example("import multiprocessing as mp\n\nmp.Pool(2).map(abs, [1])\n\n    \n", False)
@example("import multiprocessing as mp\npool = mp.Pool(2)\nprint(pool.map(abs, [1]))\n# end\n    \n # gone\n ", False)
def test_multiprocessing_programs_with_random_code_spliced_in_are_fixed_soundly(source: str, unsafe: bool) -> None:
    try:
        first = analyse_or_refuse(source, unsafe_fixes=unsafe)
    except NotReproducible:
        # The one refusal of a fix allowed (libcst's tree does not give the text back), and
        # only when there was a fix to make.
        assert any(f.fixable(unsafe) for f in analyze(source, fix=False, unsafe_fixes=unsafe).findings)
        return
    if first is None:  # refused: only for random code that libcst cannot parse
        with pytest.raises(libcst.ParserSyntaxError):
            libcst.parse_module(source)
        return
    assert_fixed_soundly(source, first, unsafe)


def test_the_program_generator_covers_every_block_and_place() -> None:
    # A guard against a generator that silently stops making what the property tests need.
    seen_blocks: set[str] = set()
    seen_places: set[str] = set()
    spliced = {"task": 0, "body": 0}

    @settings(FUZZ, max_examples=200)
    @given(multiprocessing_programs(), multiprocessing_programs(random_code=hypothesmith.from_grammar()))
    def collect(source: str, with_random_code: str) -> None:
        seen_blocks.update(block for block in BLOCKS if f": {block}\n" in source)
        seen_places.add(
            "main" if "def main():" in source
            else "loop-in-guard" if '__main__":\n    for round_' in source
            else "guard" if "__main__" in source
            else "loop-at-module" if "\nfor round_" in source
            else "module"
        )  # fmt: skip
        spliced["task" if f"def work(x):\n    {RANDOM_CODE}\n" in with_random_code else "body"] += 1

    collect()
    assert (seen_blocks, seen_places) == (set(BLOCKS), set(PLACES))
    assert min(spliced.values()) >= 20, spliced


@pytest.mark.parametrize("style", STYLES, ids=lambda style: style.pool)
def test_every_import_style_is_seen_by_the_rules(style: Style) -> None:
    # The generated programs are worth fuzzing only if the rules resolve each spelling.
    source = style.imports + FUNCTIONS + f"\n\nwith {style.pool}(2) as pool:\n    print(pool.map(work, [1]))\n"

    assert "MP001" in {finding.code for finding in analyze(source).findings}
