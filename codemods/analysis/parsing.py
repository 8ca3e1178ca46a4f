"""libcst's tree of a source text, or a one-line reason why there is none (SourceError):
Python's own message where Python refuses the text too, libcst's where only it does."""

from __future__ import annotations

import ast
import re
import warnings

import libcst as cst

# Where libcst's parser stopped, in its message ("error at 409:30: expected ..."): its
# raw_line can be the line after (found on the standard library's test_grammar.py).
_LIBCST_POSITION = re.compile(r"error at (\d+):(\d+): ")
# Python's parser refuses these for their depth. libcst's native parser would recurse on
# the C stack through them and crash the whole process (a segfault from a few thousand
# nested brackets or operators, which no except clause catches), so it never sees them.
_TOO_DEEP_FOR_PYTHON = ("too many nested parentheses", "too many levels of indentation", "too complex")


class SourceError(Exception):
    """The input cannot be analysed (it does not parse)."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return self.message


def parse(source: str) -> cst.Module:
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        libcst_error = exc
    except cst.CSTValidationError as exc:
        # The parser made a tree that libcst's checks of its nodes refuse: code that
        # Python refuses too, most often when it compiles it (a bare `except:` before
        # another handler), so its compiler tells where and why.
        _refuse_what_python_compiles_not(source)
        raise SourceError(f"cannot parse: {exc}") from None
    except RecursionError:
        raise SourceError("cannot parse: nesting too deep") from None
    # Python's own parser places syntax errors precisely; libcst's message is the fallback
    # for code that Python accepts and libcst does not (syntax newer than libcst).
    try:
        compile(source, "<mpfix>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        raise SourceError(f"cannot parse: {exc.msg}", exc.lineno or 0, exc.offset or 0) from None
    except (ValueError, RecursionError, MemoryError):
        pass
    first_line = str(libcst_error.message).strip().splitlines()[0] if libcst_error.message else "syntax error"
    line, column = libcst_error.raw_line, libcst_error.raw_column + 1
    if (position := _LIBCST_POSITION.search(first_line)) is not None:
        line, column = int(position[1]), int(position[2]) + 1
        first_line = first_line[position.end() :]
    raise SourceError(f"cannot parse: {first_line}", line, column)


def _refuse_what_python_compiles_not(source: str) -> None:
    """Raise SourceError with the running interpreter's message when it cannot compile
    ``source``; nothing when it can."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(source, "<mpfix>", "exec", dont_inherit=True)
        except SyntaxError as exc:
            raise SourceError(f"cannot parse: {exc.msg}", exc.lineno or 0, exc.offset or 0) from None
        except (ValueError, RecursionError, MemoryError):
            pass


def refuse_what_python_finds_too_deep(source: str) -> None:
    """Raise SourceError when the running interpreter refuses ``source`` for its nesting
    (see _TOO_DEEP_FOR_PYTHON); other syntax errors are left to :func:`parse`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(source, "<mpfix>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
        except (RecursionError, MemoryError):
            raise SourceError("cannot parse: too deeply nested") from None
        except SyntaxError as exc:
            if any(reason in (exc.msg or "") for reason in _TOO_DEEP_FOR_PYTHON):
                raise SourceError(f"cannot parse: {exc.msg}", exc.lineno or 0, exc.offset or 0) from None
        except ValueError:
            pass
