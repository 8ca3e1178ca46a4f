"""`mpfix server`: a language server over stdin and stdout (pygls), a thin layer like the CLI.

``app`` holds the server and its handlers, ``checker`` what mpfix says of an open file
(settings, findings, fixes), ``diagnostics``, ``actions`` and ``hover`` turn that into the
protocol's terms, ``positions`` converts between their ways of counting.

It needs the optional dependencies of ``mpfix[lsp]``. Nothing here imports libcst when
loaded: the engine comes in with the first file that may hold a finding.
"""
