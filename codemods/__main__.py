"""`python -m mpfix`: the `mpfix` command."""

from .cli import main

# Worker processes started by spawn or forkserver import this module as `__mp_main__`.
if __name__ == "__main__":
    main()
