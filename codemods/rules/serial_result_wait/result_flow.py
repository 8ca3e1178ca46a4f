"""Where a loop's results go, and whether the loop waits for each one because it must.

A loop whose next task reads what an earlier result produced (directly, or through the
names and objects that the body computes from it), or that decides on a result whether to
go on at all (a ``break`` or ``return``, a ``while`` condition), talks with the pool: each
request needs the answer to the one before. It is serial by design, and submitting every
task first is no fix for it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

import libcst as cst

from ...analysis import match as m
from ...analysis.facts import findall
from ...analysis.loop_body import BodyFacts, Path, conflicts, read_paths

Order = Callable[[cst.CSTNode, cst.CSTNode], bool]
# Exits that stop the loop; `raise`, `assert` and `sys.exit()` are error paths, after which
# nothing of the loop's work is wanted anyway.
STOPS = frozenset({"break", "return"})


class ResultFlow:
    """The stores of a loop body that hold a value computed from one of its waits."""

    def __init__(
        self,
        facts: BodyFacts,
        waits: Collection[cst.Call],
        items: Collection[str],
        *,
        before: Order,
        inside: Order,
        parent: Callable[[cst.CSTNode], cst.CSTNode | None],
    ) -> None:
        self.facts = facts
        self.waits = {id(wait) for wait in waits}
        self.before, self.inside, self.parent = before, inside, parent
        # Each iteration has its own item: what the body stores into it reaches no later task.
        self.flows = [(path, source) for path, source in facts.flows if path[0] not in items]
        self.from_results = self._from_results(self.flows)

    def _holds_a_wait(self, node: cst.CSTNode) -> bool:
        return any(id(call) in self.waits for call in findall(node, m.Call()))

    def _from_results(self, flows: list[tuple[Path, cst.CSTNode]]) -> list[tuple[Path, cst.CSTNode]]:
        """The stores whose value comes from a result, directly or through other stores."""
        tainted: list[tuple[Path, cst.CSTNode]] = []
        paths: set[Path] = set()
        changed = True
        while changed:
            changed = False
            for flow in flows:
                if flow not in tainted and (self._holds_a_wait(flow[1]) or self._reads_any(flow[1], paths)):
                    tainted.append(flow)
                    paths.add(flow[0])
                    changed = True
        return tainted

    @staticmethod
    def _reads_any(node: cst.CSTNode, paths: Iterable[Path]) -> bool:
        reads = read_paths(node)
        return any(conflicts(read, path) for read in reads for path in paths)

    def reads_a_result(self, node: cst.CSTNode) -> bool:
        """``node`` waits for a task or reads what a result produced."""
        return self._holds_a_wait(node) or self._reads_any(node, [path for path, _ in self.from_results])

    def carried_into(self, submission: cst.Call, reads: set[Path]) -> bool:
        """The submission reads (``reads``, or what the names among them are computed
        from earlier in the iteration) a value that a result of an earlier iteration made."""
        needed = set(reads)
        while True:
            more = {
                read
                for path, source in self.flows
                if self._earlier(source, submission) and any(conflicts(path, n) for n in needed)
                for read in read_paths(source)
            } - needed
            if not more:
                break
            needed |= more
        return any(
            not self._earlier(source, submission) and any(conflicts(path, n) for n in needed)
            for path, source in self.from_results
        )

    def _earlier(self, source: cst.CSTNode, submission: cst.Call) -> bool:
        """``source`` runs before ``submission`` in the same iteration."""
        return self.before(source, submission) and not self.inside(submission, source)

    def decides_to_stop(self, loop: cst.CSTNode) -> bool:
        """A ``break`` or ``return`` that runs or not depending on a result: on a condition
        that reads one, or after a wait in the same ``try``, which an error would skip."""
        return any(exit.kind in STOPS and self._decided(exit.node, loop) for exit in self.facts.exits)

    def _decided(self, node: cst.CSTNode, loop: cst.CSTNode) -> bool:
        child, parent = node, self.parent(node)
        while parent is not None and parent is not loop:
            if isinstance(parent, (cst.If, cst.While)) and self.reads_a_result(parent.test):
                return True
            if isinstance(parent, cst.Match) and self.reads_a_result(parent.subject):
                return True
            if isinstance(parent, (cst.Try, cst.TryStar)) and child is parent.body and self._holds_a_wait(parent.body):
                return True
            child, parent = parent, self.parent(parent)
        return False
