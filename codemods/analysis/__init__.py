"""Read-only questions about a module, shared by the rules: facts, pre-checks, names,
bindings, reachability, entries, statements. Nothing here builds a tree."""
