"""Each rule's pre-check, on Python's ``ast`` alone: a module per rule, named after it,
with ``APIS`` (a module can give the rule a finding only if some name in it may resolve
to one of these APIs of a library the rule applies to; None: no such condition) and
``precheck(facts)``, False only when the rule can find nothing in a module with these
facts (see mpfix.analysis.prechecks).

Nothing here imports libcst, so the runner learns which files need a rule's full
analysis before it pays for libcst. A helper here described as the twin of ``_name``
over-approximates, on ``ast``, what the function or method of that name in the rule's
own module (mpfix.rules) answers on libcst.
"""
