"""The rules, one module (or package, when the rule owns private helpers) each.

Each defines ``RULE``, its visitor class built on the kit of ``mpfix.rules._base``;
``mpfix.registry`` holds their specs and loads them by name.
"""
