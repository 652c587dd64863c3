"""Building blocks of socsim's self-contained HTML pages (experiment reports, lesson handouts).

A page carries its plots inside (PNG as base64 ``data:`` URIs) and its style inline, so
one file can be mailed to a workshop and opened offline in any browser.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any, Sequence

__all__ = ["CSS", "escape", "table", "image"]

#: The pages' one style sheet (system fonts; tables with right-aligned numbers).
CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,"Noto Sans","Helvetica Neue",Arial,sans-serif;margin:2rem auto;
max-width:1150px;padding:0 1rem;color:#1d2330;line-height:1.45}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:2px solid #e3e6ec;
padding-bottom:.3rem}h3{font-size:1.02rem;margin:1.4rem 0 .4rem}
.muted{color:#667085}.facts{display:flex;flex-wrap:wrap;gap:.5rem 1.6rem;margin:.8rem 0}
.facts div{font-size:.92rem}.facts b{display:block;font-size:.75rem;color:#667085;font-weight:600;text-transform:uppercase}
table{border-collapse:collapse;margin:.4rem 0 1rem;font-size:.9rem}th,td{padding:.3rem .65rem;
border-bottom:1px solid #e3e6ec;text-align:right;white-space:nowrap}th{background:#f5f7fa;font-weight:600}
td:first-child,th:first-child{text-align:left}td.text{text-align:left;white-space:normal}td.changes{text-align:left;white-space:normal;font-family:monospace;
font-size:.82rem}.good{color:#067647;font-weight:600}.bad{color:#b42318;font-weight:600}
img{max-width:100%;border:1px solid #e3e6ec;border-radius:4px;margin:.5rem 0}
.note{background:#f5f7fa;border-left:4px solid #3b75af;padding:.6rem 1rem;font-size:.9rem}
.verdict{font-size:1.15rem;font-weight:600;background:#eef6ee;border-left:4px solid #2e7d32;padding:.6rem 1rem}
code{background:#f5f7fa;padding:0 .25rem;border-radius:3px}.scroll{overflow-x:auto}
"""



def escape(value: Any) -> str:
    """``value`` as text safe inside HTML elements and attributes.

    >>> escape('<b> & "q"')
    '&lt;b&gt; &amp; &quot;q&quot;'
    """
    return html.escape(str(value), quote=True)


def table(header: Sequence[str], rows: Sequence[Sequence[str]], classes: dict[int, str] | None = None) -> str:
    """A scrollable HTML table; ``classes`` maps a column index to a CSS class (``text``, ``changes``).

    >>> table(["KPI", "value"], [["orders", "12"]])
    "<div class='scroll'><table><thead><tr><th>KPI</th><th>value</th></tr></thead><tbody><tr><td>orders</td><td>12</td></tr></tbody></table></div>"
    """
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(f'<td class="{classes[i]}">{escape(c)}</td>' if classes and i in classes else f"<td>{escape(c)}</td>"
                        for i, c in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    return f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"


def image(path: Path, alt: str) -> str:
    """An ``<img>`` holding the PNG at ``path`` inline (base64), with ``alt`` text."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'
