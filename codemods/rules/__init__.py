"""The rules, one module (or package, when the rule owns private helpers) each.

Each defines ``RULE``, its visitor class built on the kit of ``codemods.rules._base``;
``codemods.registry`` holds their specs and loads them by name.
"""
