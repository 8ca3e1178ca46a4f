"""The pure core: source text in, findings and fixed text out. No file I/O, no printing.

One parse and one batched pass of every selected rule per round; fixes are applied and
the result re-parsed until no applicable fix is left (a fixpoint). Output that does not
parse or compile is never returned. Findings that a suppression comment covers are dropped
in every round, so they are neither reported nor fixed.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field

import libcst as cst

from . import registry, suppressions
from .analysis.cst_walk import Batched, walking
from .analysis.facts import ModuleFacts, analysing
from .analysis.parsing import SourceError as SourceError
from .analysis.parsing import parse, refuse_what_python_finds_too_deep
from .analysis.project.model import ProjectView
from .collector import resumed
from .edits import lines_of
from .model import Finding, RuleSpec, Safety, TargetVersion, not_fixed_note
from .rewrite.nodes import swap_nodes
from .rules._base import Candidate, RuleVisitor
from .screening import Screen, python_ast, screen

# Each round applies the fixes that do not overlap. A correct rule set settles within this
# many rounds more than the text has fixes (one that replaces the whole module takes a round
# alone, and a fix may let another finding's fix apply).
MAX_ROUNDS = 16
# A line that holds no code: blanks, or a comment.
_TRIVIA_LINE = re.compile(r"[ \t\f]*(?:#[^\r\n]*)?(?:\r\n|\r|\n)?\Z")
NOT_REPRODUCIBLE = "libcst does not give this file back byte for byte"


class FixError(Exception):
    """A bug in a rule: its fix broke the code or never settled. Nothing is written."""


class NotReproducible(FixError):
    """libcst does not give this text back byte for byte, so a fix, which regenerates the
    whole file from libcst's tree, would lose bytes. Nothing is written."""


@dataclass
class Result:
    """What the engine found in, and did to, one source text."""

    source: str
    findings: list[Finding]  # in the source as given
    fixed: str  # the source with the applied fixes (== source when none applied)
    applied: list[Finding] = field(default_factory=list)  # fixes applied, in order
    remaining: list[Finding] = field(default_factory=list)  # findings left in ``fixed``

    @property
    def changed(self) -> bool:
        return self.fixed != self.source

    def settled(self, unsafe_fixes: bool) -> list[Finding]:
        """The findings of the source as the fix run settles them, so that a report
        predicts what `mpfix fix` does: a finding with no applicable fix of its own that
        the fixes of later rounds resolve (another fix moves its code, then a fix of its
        own applies) is fixable, and says so.

        The findings left in ``remaining`` are matched to those of the source by rule:
        as many as remain of a rule stay unfixed, those whose code reads the same first.
        """
        later = Safety.UNSAFE if any(f.fix is Safety.UNSAFE for f in self.applied) else Safety.SAFE
        stays: set[int] = set()
        for code in {f.code for f in self.findings}:
            unfixed = [f for f in self.findings if f.code == code and not f.fixable(unsafe_fixes)]
            left = [_span_text(self.fixed, f) for f in self.remaining if f.code == code]
            unfixed.sort(key=lambda f: _span_text(self.source, f) not in left)
            stays.update(id(f) for f in unfixed[: len(left)])
        return [
            f.noted(None, fix=later, fix_title=LATER_FIX)
            if not f.fixable(unsafe_fixes) and id(f) not in stays
            else f
            for f in self.findings
        ]


LATER_FIX = "Fixed in a later round, once the other fixes of this file are applied"


def _span_text(source: str, finding: Finding) -> str:
    """The code that ``finding`` points at, without indentation (a fix may re-indent it)."""
    lines = lines_of(source)[finding.line - 1 : finding.end_line]
    if lines:
        lines[-1] = lines[-1][: finding.end_column - 1]
        lines[0] = lines[0][finding.column - 1 :]
    return "\n".join(line.strip() for line in lines)


def _split_trailing_trivia(source: str) -> tuple[str, str]:
    """``source`` as its code and the blank and comment lines after the last line of code.

    libcst keeps some of these in the last indented block, where a fix that moves code can
    lose them, and drops others (whitespace-only lines, an indented comment ending a file
    without a final newline). No token follows them, so they are cut off before parsing
    and put back unchanged after the fixed code.
    """
    end = len(source)
    while end:
        content_end = end - 2 if source.endswith("\r\n", 0, end) else end - (source[end - 1] in "\r\n")
        start = max(source.rfind("\n", 0, content_end), source.rfind("\r", 0, content_end)) + 1
        if not _TRIVIA_LINE.match(source, start, end):
            break
        end = start
    return source[:end], source[end:]


def _without_fixes(candidates: list[Candidate], reason: str) -> list[Candidate]:
    """The candidates with their fixes withdrawn, each finding saying why."""
    return [
        c
        if c.replacement is None or c.finding.fix is Safety.NONE
        else Candidate(c.finding.noted(not_fixed_note(reason), fix=Safety.NONE))
        for c in candidates
    ]


def _analyse(
    facts: ModuleFacts, visitors: Sequence[type[RuleVisitor]], target: TargetVersion
) -> tuple[list[Candidate], ModuleFacts]:
    """The rules' candidates in the module of ``facts``, and its facts (each node's parent,
    for their fixes, and its code)."""
    instances = [cls(facts, target) for cls in visitors]
    with analysing(facts), walking(), ExitStack() as resolved:
        for instance in instances:
            resolved.enter_context(instance.resolve(facts.wrapper))
        facts.visit(Batched(instances))
    candidates = [c for visitor in instances for c in visitor.candidates]
    candidates.sort(key=lambda c: c.finding.sort_key())
    return candidates, facts


def _contains(outer: cst.CSTNode, inner: cst.CSTNode) -> bool:
    return outer is inner or any(_contains(child, inner) for child in outer.children)


def _apply(
    module: cst.Module, fixes: list[Candidate], parents: Mapping[cst.CSTNode, cst.CSTNode]
) -> tuple[cst.Module, list[Candidate]]:
    """Apply the fixes whose nodes do not overlap an earlier one; the rest wait a round."""
    chosen: list[Candidate] = []
    swaps: dict[cst.CSTNode, cst.CSTNode] = {}  # each chosen fix's node -> its replacement
    for candidate in fixes:
        node, replacement = candidate.node, candidate.replacement
        assert node is not None and replacement is not None
        if any(_contains(other, node) or _contains(node, other) for other in swaps):
            continue
        chosen.append(candidate)
        swaps[node] = replacement
    if chosen[0].node is module:
        new_module = swaps[module]
        assert isinstance(new_module, cst.Module)
        return new_module, chosen[:1]
    return swap_nodes(module, swaps, parents), chosen


def _unsuppressed(
    candidates: list[Candidate], code: str, specs: Sequence[RuleSpec], report_unused: bool
) -> tuple[list[Candidate], list[Finding]]:
    """The candidates that no suppression comment in ``code`` covers, and the unused comments."""
    if not report_unused and not suppressions.may_cover(code, [c.finding for c in candidates]):
        return candidates, []
    directives = suppressions.scan(code)
    if not directives:
        return candidates, []
    kept = [c for c in candidates if not any(d.covers(c.finding) for d in directives)]
    unused = suppressions.unused(directives, [c.finding for c in candidates], specs) if report_unused else []
    return kept, unused


def _findings(candidates: list[Candidate], unused: list[Finding]) -> list[Finding]:
    return sorted([c.finding for c in candidates] + unused, key=Finding.sort_key)


def analyze(
    source: str,
    *,
    rules: Iterable[RuleSpec] | None = None,
    fix: bool = True,
    unsafe_fixes: bool = False,
    report_unused_suppressions: bool = False,
    precheck: bool = True,
    needled: Collection[RuleSpec] | None = None,
    only: Finding | None = None,
    target_version: TargetVersion = TargetVersion.PY310,
    project: ProjectView | None = None,
    screened: Screen | None = None,
) -> Result:
    """Find problems in ``source`` and, when ``fix``, apply the fixes up to a fixpoint.

    ``only`` applies the fix of that one finding of ``source`` alone, in one round (an
    editor's quick fix); nothing changes when ``source`` no longer has it.

    ``precheck=False`` runs every rule's full analysis even where its ``ast`` pre-check
    says it cannot match (to measure, or test, what the pre-checks save). ``needled``
    names the rules of ``rules`` whose needles the caller already found in the file's
    bytes (the runner's prefilter), so they are not looked for again; None looks here.
    ``project`` is what the other modules of the program tell this file's rules.
    ``screened``: the caller's :func:`mpfix.screening.screen` of ``source`` with these
    rules, needles and project, so that it is not done again.

    With ``report_unused_suppressions``, suppression comments that suppress nothing are
    findings too (MP000, without a fix). ``target_version``: the oldest Python the code
    runs on, which a fix may use what it adds. Raises SourceError when ``source`` does not
    parse (or nests too deeply to analyse), FixError when a fix misbehaves.
    """
    specs = tuple(rules) if rules is not None else registry.RULES
    try:
        if screened is None and precheck:
            screened = screen(source, specs, needled, project)
        elif screened is None:
            screened = Screen(python_ast(source), frozenset(specs))
        return _analyze_source(
            source, specs, fix, unsafe_fixes, report_unused_suppressions, screened, only, target_version, project,
            precheck,
        )  # fmt: skip
    except RecursionError:
        # libcst's visitors, metadata and code generation recurse in Python: a chain a few
        # hundred deep (such as the thousands of implicitly concatenated strings of the
        # standard library's pydoc_data/topics.py) exceeds the recursion limit. That is
        # the input's shape, not a bug in a rule: the file gets one error, as for a parse.
        raise SourceError("cannot analyse: too deeply nested for libcst") from None


def _analyze_source(
    source: str,
    specs: tuple[RuleSpec, ...],
    fix: bool,
    unsafe_fixes: bool,
    report_unused_suppressions: bool,
    screened: Screen,
    only: Finding | None,
    target: TargetVersion,
    project: ProjectView | None,
    precheck: bool = True,
) -> Result:
    parses = screened.parses
    # The pre-filters decide what each pass runs: the first on the source, each later one
    # on the code the fixes made (with every selected rule when they are off).
    if not screened.passed:
        _, unused = _unsuppressed([], source, specs, report_unused_suppressions)
        return Result(source=source, findings=unused, fixed=source, remaining=unused)
    decided = [Candidate(finding) for findings in screened.decided.values() for finding in findings]
    undecided = screened.passed - screened.decided.keys()
    if not undecided:  # every rule decided on ``ast``, and none has a fix: libcst has nothing to do
        candidates, unused = _unsuppressed(decided, source, specs, report_unused_suppressions)
        findings = _findings(candidates, unused)
        return Result(source=source, findings=findings, fixed=source, remaining=findings)
    visitors = [spec.load() for spec in specs]
    first_pass = [v for v in visitors if v.SPEC in undecided]
    if not parses:
        refuse_what_python_finds_too_deep(source)
    # Every fix regenerates the whole file from libcst's tree, so the tree must give the
    # code back byte for byte. The blank and comment lines at the end are kept aside (no
    # token follows them, so no syntax error is among them); libcst still drops some other
    # text (a lone "\r" ending a file), and such a file gets no fix: neither `check` nor
    # `fix` offers one.
    code, tail = _split_trailing_trivia(source)
    module = parse(code)
    analysed, facts = _analyse(ModuleFacts(module, project), first_pass, target)
    found = sorted([*analysed, *decided], key=lambda c: c.finding.sort_key())
    candidates, unused = _unsuppressed(found, source, specs, report_unused_suppressions)
    # Only a fix needs the whole text generated again; the generation that placed the
    # findings gives it.
    if any(c.replacement is not None for c in candidates) and facts.code != code:
        candidates = _without_fixes(candidates, NOT_REPRODUCIBLE)
    findings = _findings(candidates, unused)
    result = Result(source=source, findings=findings, fixed=source, remaining=findings)
    if not fix:
        return result

    # Code that the running interpreter cannot compile (newer syntax) is only re-parsed.
    check_compile = parses
    current = code
    rounds = MAX_ROUNDS + sum(c.replacement is not None for c in candidates)
    for _ in range(rounds):
        fixes = [c for c in candidates if c.replacement is not None and c.finding.fixable(unsafe_fixes)]
        if only is not None:
            fixes = [] if result.applied else [c for c in fixes if c.finding == only]
        if not fixes:
            result.fixed = current + tail
            result.remaining = _findings(candidates, unused)
            return result
        with resumed():  # a later round: the earlier rounds' trees become garbage (see mpfix.collector)
            new_module, applied = _apply(module, fixes, facts.parents)
            new_code = facts.code_of(new_module)
            new_tree = python_ast(new_code + tail) if check_compile else None
            if not check_compile:
                fixed = _parse_fixed(new_code, project)
            if check_compile and new_tree is None:
                raise FixError("a fix produced code that does not compile")
            if new_code == current:
                raise FixError(f"fixes of {', '.join(sorted({c.finding.code for c in applied}))} changed nothing")
            result.applied.extend(c.finding for c in applied)
            current = new_code
            again = Screen(new_tree, frozenset(specs))
            if precheck:
                again = screen(current + tail, specs, None, project, new_tree)
            found = [Candidate(finding) for findings in again.decided.values() for finding in findings]
            if undecided := again.passed - again.decided.keys():
                # The fixed text is parsed again only for a rule that needs its tree (the
                # compile check above has found it valid Python).
                fixed = fixed if not check_compile else _parse_fixed(new_code, project)
                module = fixed.module
                analysed, facts = _analyse(fixed, [v for v in visitors if v.SPEC in undecided], target)
                found += analysed
            found.sort(key=lambda c: c.finding.sort_key())
            candidates, unused = _unsuppressed(found, current + tail, specs, report_unused_suppressions)
    raise FixError(f"fixes did not settle after {rounds} rounds")


def _parse_fixed(code: str, project: ProjectView | None) -> ModuleFacts:
    """The facts of libcst's tree of a text that fixes made, for the next round's rules."""
    try:
        facts = ModuleFacts(cst.parse_module(code), project)
    except (cst.ParserSyntaxError, cst.CSTValidationError) as exc:
        raise FixError(f"a fix produced code that does not parse: {getattr(exc, 'message', exc)}") from None
    # The next round's fixes regenerate the file from this tree, so it too must give the
    # text back byte for byte (a fix can move code into a shape libcst loses comments of).
    # The generation that checks it places the round's findings too.
    if facts.code != code:
        raise NotReproducible("libcst does not reproduce the partly fixed text byte for byte, so no fix is applied")
    return facts


def fix_source(
    source: str,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    unsafe_fixes: bool = False,
) -> str:
    """``source`` with every applicable fix applied (the library entry point)."""
    specs = registry.select(select, ignore)
    return analyze(source, rules=specs, unsafe_fixes=unsafe_fixes).fixed
