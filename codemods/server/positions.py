"""Positions between mpfix and the protocol.

mpfix counts 1-based rows and columns in code points; the protocol counts 0-based lines
and characters in the units the client chose (UTF-16 unless it asked for another). Lines
end at \\n, \\r\\n or \\r only, as in both.
"""

from __future__ import annotations

from lsprotocol import types
from pygls.workspace import PositionCodec

from ..edits import Edit, lines_of


class Lines:
    """A text's lines, to convert positions in it."""

    def __init__(self, text: str, codec: PositionCodec) -> None:
        self.text = text
        self.lines = lines_of(text)
        self.codec = codec

    def _line(self, row: int) -> str:
        return self.lines[row - 1] if 0 < row <= len(self.lines) else ""

    def position(self, row: int, column: int) -> types.Position:
        """The client's position of a 1-based row and column (row 0: the whole file, at its start)."""
        row, column = max(row, 1), max(column, 1)
        return types.Position(line=row - 1, character=self.codec.client_num_units(self._line(row)[: column - 1]))

    def range(self, row: int, column: int, end_row: int, end_column: int) -> types.Range:
        return types.Range(start=self.position(row, column), end=self.position(end_row, end_column))

    def text_edit(self, edit: Edit) -> types.TextEdit:
        return types.TextEdit(
            range=self.range(edit.row, edit.column, edit.end_row, edit.end_column), new_text=edit.content
        )

    def row_column(self, position: types.Position) -> tuple[int, int]:
        """The 1-based row and column of a client's position."""
        line = self._line(position.line + 1)
        units = 0
        for index, char in enumerate(line):
            if units >= position.character:
                return position.line + 1, index + 1
            units += self.codec.client_num_units(char)
        return position.line + 1, len(line) + 1
