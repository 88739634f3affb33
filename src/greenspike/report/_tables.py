"""How every terminal table is drawn, so that all of them read well at 80 columns.

- A rule under the header only, no edges, two spaces between columns: the width goes to
  content.
- Figures, names and statuses never wrap: a value is never broken across lines.
- Long text (sources, URLs, commands) is shortened with an ellipsis when the terminal is
  narrow, never wrapped; the full text is in the command's `--json` output.
"""

from __future__ import annotations

import re

from rich import box
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from greenspike._summary import Align, Summary, TextTable

# Control characters (C0 but tab and newline, DEL, C1) would reach the terminal raw: an escape
# sequence in a run's name could recolour, retitle or hide what follows.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with each control character shown as its Python escape, never interpreted."""
    return _CONTROL.sub(lambda m: repr(m[0])[1:-1], text)


def new_table(title: str = "", caption: str = "") -> Table:
    """An empty table in the house style; `title` and `caption` are plain text (escaped)."""
    return Table(
        title=escape(printable(title)) if title else None,
        caption=escape(printable(caption)) if caption else None,
        title_justify="left",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )


def add_column(table: Table, header: str, align: Align = "left", *, long: bool = False) -> None:
    """A column of short values (never wrapped) or, with `long`, of text shortened to fit.

    Cells of a long column must be `cell(..., long=True)`: rich shrinks such a column first
    when the table is too wide, and the cell then ends in an ellipsis instead of wrapping.
    """
    table.add_column(escape(header), justify=align, no_wrap=not long)


def cell(text: str, *, long: bool = False, style: str = "") -> Text:
    """A table cell of plain text: never read as markup, control characters shown as escapes.

    `long`: one line, shortened to fit.
    """
    if long:
        return Text(printable(text), style=style, no_wrap=True, overflow="ellipsis")
    return Text(printable(text), style=style)


def text_table(table: TextTable) -> Table:
    """A `TextTable` drawn with rich: the same cells, in the house style."""
    drawn = new_table(table.title)
    for column in table.columns:
        add_column(drawn, column.header, column.align, long=column.long)
    for index, section in enumerate(table.sections):
        if index:
            drawn.add_section()
        for row in section:
            drawn.add_row(
                *(cell(value, long=c.long) for value, c in zip(row, table.columns, strict=True))
            )
    return drawn


def summary_view(summary: Summary, title: Text | None = None) -> RenderableType:
    """A `Summary` as the terminal shows it: its title, tables and lines, in order.

    Args:
        summary: what to show.
        title: the title with styling of its own (default: the summary's title, in bold).
    """
    parts: list[RenderableType] = [title or Text(printable(summary.title), style="bold")]
    for block in summary.blocks:
        if isinstance(block, TextTable):
            parts.append(text_table(block))
        elif block.startswith("note: "):
            parts.append(Text(printable(block), style="dim"))
        else:
            parts.append(Text(printable(block)))
    return Group(*parts)
