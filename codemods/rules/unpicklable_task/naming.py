"""Names for MP009's fixes: the module-level name of a lambda that becomes a function,
and the parameters of a def."""

from __future__ import annotations

from collections.abc import Mapping

import libcst as cst


def lambda_name(lambda_: cst.Lambda, parents: Mapping[cst.CSTNode, cst.CSTNode], under_guard: bool, noun: str) -> str:
    """The name a reviewer would give the lambda: after the function that sends it and
    what it is sent as (``_process_rows_task`` for a task that ``process_rows`` hands to
    a pool), ``main`` standing for the ``__main__`` guard. The caller makes it fresh."""
    owner = parents.get(lambda_)
    while owner is not None and not isinstance(owner, cst.FunctionDef):
        owner = parents.get(owner)
    # ``_load`` and ``__init__`` read as ``load`` and ``init``.
    place = owner.name.value.strip("_") if isinstance(owner, cst.FunctionDef) else "main" if under_guard else ""
    return "_" + "_".join(part for part in (place, noun) if part)


def parameter_names(params: cst.Parameters) -> list[str]:
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    every += [star for star in (params.star_arg, params.star_kwarg) if isinstance(star, cst.Param)]
    return [param.name.value for param in every]
