"""Short readable summaries of results, as plain data: what `print(result)` shows.

A `Summary` is a title, tables of text cells and lines of prose. Each result builds its own
(`EnergyReport.summary()`, `FootprintEstimate.summary()`, `CostReport.summary()`) in its own
layer, with the `_units` formatters; `str(summary)` lays it out as plain text, and the command
line draws the same cells with rich (`greenspike.report.terminal.summary_view`), so the two
never disagree. A summary holds no styling: colours and boxes are the terminal's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Align = Literal["left", "right"]
Row = tuple[str, ...]


@dataclass(frozen=True)
class Column:
    """A column of a `TextTable`.

    Attributes:
        header: the heading.
        align: "right" for figures, "left" for text.
        long: long text (a source, a URL) that a narrow terminal shortens rather than wraps.
    """

    header: str
    align: Align = "left"
    long: bool = False


@dataclass(frozen=True)
class TextTable:
    """Rows of text cells under `columns`, in sections (a rule between two sections)."""

    columns: tuple[Column, ...]
    sections: tuple[tuple[Row, ...], ...]
    title: str = ""

    def __post_init__(self) -> None:
        width = len(self.columns)
        for row in (row for section in self.sections for row in section):
            if len(row) != width:
                raise ValueError(f"a row of {len(row)} cells in a table of {width} columns")

    @classmethod
    def of(cls, columns: Sequence[Column], *sections: Sequence[Row], title: str = "") -> TextTable:
        """A table from lists: `TextTable.of(columns, rows, more_rows, title="...")`."""
        return cls(tuple(columns), tuple(tuple(s) for s in sections if s), title)

    def lines(self) -> list[str]:
        """The table as plain text: a header, a rule, the rows; a rule between sections."""
        widths = [len(c.header) for c in self.columns]
        for row in (row for section in self.sections for row in section):
            widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

        def line(cells: Sequence[str]) -> str:
            parts = [
                cell.rjust(w) if column.align == "right" else cell.ljust(w)
                for cell, w, column in zip(cells, widths, self.columns, strict=True)
            ]
            return "  ".join(parts).rstrip()

        rule = "  ".join("-" * w for w in widths)
        out = [self.title] if self.title else []
        out += [line([c.header for c in self.columns]), rule]
        for index, section in enumerate(self.sections):
            if index:
                out.append(rule)
            out += [line(row) for row in section]
        return out


@dataclass(frozen=True)
class Summary:
    """A title, then blocks: tables and lines of prose, in order."""

    title: str
    blocks: tuple[TextTable | str, ...]

    def __str__(self) -> str:
        out = [self.title]
        for block in self.blocks:
            if isinstance(block, TextTable):
                out += ["", *block.lines(), ""]
            else:
                out.append(block)
        return "\n".join(out).rstrip("\n")

    @property
    def tables(self) -> tuple[TextTable, ...]:
        """The tables among the blocks."""
        return tuple(b for b in self.blocks if isinstance(b, TextTable))

    @property
    def text_lines(self) -> tuple[str, ...]:
        """The lines of prose among the blocks."""
        return tuple(b for b in self.blocks if isinstance(b, str))
