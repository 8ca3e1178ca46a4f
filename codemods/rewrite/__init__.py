"""Tree builders shared by two rules or more: the guard, hand-over edits, hoisting,
fresh names, nodes swapped by identity."""
