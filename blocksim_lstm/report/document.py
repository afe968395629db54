"""A tiny document model rendered to both Markdown and self-contained HTML.

Sections are built from a few kinds of blocks (paragraph, table, figure,
preformatted text); each renders to Markdown and to HTML, so the two report
files always say the same thing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "Figure",
    "Paragraph",
    "Pre",
    "Section",
    "Table",
    "render_html",
    "render_markdown",
]


@dataclass(frozen=True)
class Paragraph:
    """Text with Markdown-style ``**bold**`` and ``code`` spans.

    Attributes
    ----------
    text
        The paragraph.
    """

    text: str


@dataclass(frozen=True)
class Table:
    """A table: header cells and rows of cells (strings).

    Attributes
    ----------
    header
        Column headings.
    rows
        Rows of cells.
    """

    header: Sequence[str]
    rows: Sequence[Sequence[str]]


@dataclass(frozen=True)
class Figure:
    """A figure file (relative to the report folder) with a caption.

    Attributes
    ----------
    path
        The image, relative to the report folder.
    caption
        Caption text (Markdown-style spans).
    """

    path: str
    caption: str


@dataclass(frozen=True)
class Pre:
    """Preformatted text (a console table, a zpk form).

    Attributes
    ----------
    text
        The text, shown as is.
    """

    text: str


Block = Paragraph | Table | Figure | Pre


@dataclass
class Section:
    """A titled section: a list of blocks, and the numbers it measured.

    Attributes
    ----------
    title
        The section's heading.
    blocks
        Paragraphs, tables, figures and preformatted text, in order.
    numbers
        What the section measured, by key (``summary.json``).
    """

    title: str
    blocks: list[Block] = field(default_factory=list)
    numbers: dict[str, object] = field(default_factory=dict)

    def p(self, text: str) -> None:
        """Append a paragraph.

        Parameters
        ----------
        text
            Paragraph text (Markdown-style ``**bold**`` and code spans).
        """
        self.blocks.append(Paragraph(text))

    def table(self, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        """Append a table; cells are converted with ``str``.

        Parameters
        ----------
        header
            Column headings.
        rows
            Rows of cells, each as long as ``header``.
        """
        self.blocks.append(Table(list(header), [[str(c) for c in r] for r in rows]))

    def figure(self, path: str, caption: str) -> None:
        """Append a figure (path relative to the report folder).

        Parameters
        ----------
        path
            The image, relative to the report folder.
        caption
            Caption text.
        """
        self.blocks.append(Figure(path, caption))

    def pre(self, text: str) -> None:
        """Append preformatted text.

        Parameters
        ----------
        text
            The text, shown as is.
        """
        self.blocks.append(Pre(text))


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(title: str, intro: str, sections: Sequence[Section]) -> str:
    """The whole report as Markdown text.

    Parameters
    ----------
    title
        The document title.
    intro
        The paragraph under the title.
    sections
        The sections, in order.
    """
    out = [f"# {title}", "", intro, "", "## Contents", ""]
    out += [f"{k}. {s.title}" for k, s in enumerate(sections, 1)]
    for k, s in enumerate(sections, 1):
        out += ["", f"## {k}. {s.title}", ""]
        for b in s.blocks:
            if isinstance(b, Paragraph):
                out += [b.text, ""]
            elif isinstance(b, Table):
                out.append("| " + " | ".join(_md_cell(c) for c in b.header) + " |")
                out.append("|" + "---|" * len(b.header))
                out += [
                    "| " + " | ".join(_md_cell(c) for c in r) + " |" for r in b.rows
                ]
                out.append("")
            elif isinstance(b, Figure):
                out += [f"![{b.caption}]({b.path})", "", f"*{b.caption}*", ""]
            elif isinstance(b, Pre):
                out += ["```", b.text.rstrip("\n"), "```", ""]
    return "\n".join(out).rstrip() + "\n"


def _inline_html(text: str) -> str:
    t = html.escape(text)
    t = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)
    t = re.sub(r"`(.+?)`", r"<code>\1</code>", t)
    return t


_CSS = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.5; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.92rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; }
th { background: #f0f0f0; }
figure { margin: 1.5rem 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-style: italic; color: #555; }
pre { background: #f7f7f7; padding: 0.6rem; overflow-x: auto; font-size: 0.85rem; }
code { background: #f3f3f3; padding: 0 0.2rem; }
"""


def render_html(title: str, intro: str, sections: Sequence[Section]) -> str:
    """The whole report as one HTML page (figures referenced relatively).

    Parameters
    ----------
    title
        The page title.
    intro
        The paragraph under the title.
    sections
        The sections, in order.
    """
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{_inline_html(intro)}</p>",
        "<h2>Contents</h2><ol>",
    ]
    out += [
        f'<li><a href="#s{k}">{html.escape(s.title)}</a></li>'
        for k, s in enumerate(sections, 1)
    ]
    out.append("</ol>")
    for k, s in enumerate(sections, 1):
        out.append(f'<h2 id="s{k}">{k}. {html.escape(s.title)}</h2>')
        for b in s.blocks:
            if isinstance(b, Paragraph):
                out.append(f"<p>{_inline_html(b.text)}</p>")
            elif isinstance(b, Table):
                out.append("<table><tr>")
                out += [f"<th>{_inline_html(c)}</th>" for c in b.header]
                out.append("</tr>")
                for r in b.rows:
                    out.append(
                        "<tr>"
                        + "".join(f"<td>{_inline_html(c)}</td>" for c in r)
                        + "</tr>"
                    )
                out.append("</table>")
            elif isinstance(b, Figure):
                cap = html.escape(b.caption)
                out.append(
                    f'<figure><img src="{html.escape(b.path)}" alt="{cap}">'
                    f"<figcaption>{cap}</figcaption></figure>"
                )
            elif isinstance(b, Pre):
                out.append(f"<pre>{html.escape(b.text)}</pre>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
