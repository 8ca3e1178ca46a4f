"""What mpfix prints: ``text`` for people, ``formats`` for the ``--output-format``
choices (json and github here, ``sarif`` apart), ``pages`` for `mpfix explain`.

Pure formatting, and no libcst: results in, strings out.
"""
