"""Running mpfix over files: ``discover`` finds and reads them, ``pipeline`` prefilters
and hands them to ``workers`` (where the engine runs), ``cache`` remembers results and
``write`` writes the fixed files.

Nothing in this package imports the engine (or libcst) at module level: a worker process,
or the first file analysed in this one, imports it.
"""
