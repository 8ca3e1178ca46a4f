"""The project model: the modules of a program, how they import each other, and what
each tells the rules of the others; built from Python's ``ast``, without libcst."""
