"""A :class:`~fake_platform.ui.ladder.Ladder` drawn as a standalone SVG (no script, no fonts to fetch).

One column per party with its lifeline, one row per rung (time runs down at a fixed pace per
rung, the time since the first rung is written in the margin), hover titles with the full request
or notification. Readable in a browser, in the Allure report and as a file.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from .ladder import Ladder, Rung, Style

COLUMN = 230  # px between lifelines
MARGIN = 86  # the time labels
HEAD = 58  # party boxes
ROW = 28
CHAR = 6.4  # px per character of the 12 px label font, to cut labels to their space

COLOURS: dict[Style, str] = {
    Style.REQUEST: "#1f3b73",
    Style.RESPONSE: "#1f3b73",
    Style.NOTIFICATION: "#0b5e43",
    Style.PUSH: "#5b2d8c",
    Style.EVENT: "#7a4100",
    Style.NOTE: "#3d3d3d",
    Style.FAULT: "#a3001b",
}
DASHES: dict[Style, str] = {Style.RESPONSE: "6 4", Style.PUSH: "2 3"}

STYLE = """
text { font-family: system-ui, sans-serif; font-size: 12px; fill: #111; }
.party rect { fill: #eef1f5; stroke: #33415c; }
.party .detail { font-size: 11px; fill: #3d3d3d; }
.lifeline { stroke: #8a94a6; stroke-dasharray: 4 4; }
.time { font-family: ui-monospace, monospace; font-size: 11px; fill: #3d3d3d; }
.note text:not(.time) { font-style: italic; }
"""


def ladder_svg(ladder: Ladder) -> str:
    columns = {party.key: MARGIN + COLUMN // 2 + i * COLUMN for i, party in enumerate(ladder.parties)}
    rows = max(1, len(ladder.rungs)) + (1 if ladder.left_out else 0)
    width = MARGIN + COLUMN * len(ladder.parties)
    height = HEAD + 24 + rows * ROW + 16
    names = ", ".join(p.label for p in ladder.parties)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="ladder-title ladder-desc">',
        f'<title id="ladder-title">Ladder of call {escape(ladder.call_id)} ({escape(ladder.state)})</title>',
        f'<desc id="ladder-desc">{len(ladder.rungs)} messages between {escape(names)}</desc>',
        f"<style>{STYLE}</style>",
        _markers(),
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for party in ladder.parties:
        x = columns[party.key]
        out.append(f'<line class="lifeline" x1="{x}" y1="{HEAD}" x2="{x}" y2="{height - 8}"/>')
        out.append(f'<g class="party"><rect x="{x - COLUMN // 2 + 8}" y="6" width="{COLUMN - 16}" height="{HEAD - 12}" '
                   f'rx="4"/><text x="{x}" y="26" text-anchor="middle">{_cut(party.label, COLUMN - 24)}</text>'
                   f'<text class="detail" x="{x}" y="42" text-anchor="middle">{_cut(party.detail, COLUMN - 24)}</text>'
                   "</g>")
    started = ladder.started or 0.0
    for index, rung in enumerate(ladder.rungs):
        out.append(_rung(rung, HEAD + 24 + index * ROW, columns, started))
    if not ladder.rungs:
        out.append(f'<text x="{MARGIN}" y="{HEAD + 30}">No message of this call is in the journal.</text>')
    if ladder.left_out:
        y = HEAD + 24 + len(ladder.rungs) * ROW
        out.append(f'<text x="{MARGIN}" y="{y}">… and {ladder.left_out} more messages, not drawn</text>')
    out.append("</svg>")
    return "\n".join(out)


def _rung(rung: Rung, y: int, columns: dict[str, int], started: float) -> str:
    colour = COLOURS[rung.style]
    title = f"<title>{escape(rung.detail or rung.label)}</title>"
    time = f'<text class="time" x="6" y="{y + 4}">+{(rung.at - started) * 1000:.0f} ms</text>'
    x1, x2 = columns.get(rung.source), columns.get(rung.target)
    if x1 is None or x2 is None:
        return ""
    if rung.style == Style.NOTE or x1 == x2:
        label = _cut(rung.label, COLUMN - 16)
        return (f'<g class="note">{title}{time}<circle cx="{x1}" cy="{y}" r="3" fill="{colour}"/>'
                f'<text x="{x1 + 8}" y="{y + 4}" style="fill:{colour}">{label}</text></g>')
    direction = 1 if x2 > x1 else -1
    dash = f' stroke-dasharray="{DASHES[rung.style]}"' if rung.style in DASHES else ""
    label = _cut(rung.label, abs(x2 - x1) - 12)
    return (f'<g class="{rung.style}">{title}{time}'
            f'<line x1="{x1}" y1="{y}" x2="{x2 - direction * 3}" y2="{y}" stroke="{colour}" stroke-width="1.4"{dash} '
            f'marker-end="url(#head-{rung.style})"/>'
            f'<text x="{(x1 + x2) / 2:.0f}" y="{y - 5}" text-anchor="middle" style="fill:{colour}">{label}</text></g>')


def _markers() -> str:
    heads = "".join(
        f'<marker id="head-{style}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        for style, colour in COLOURS.items())
    return f"<defs>{heads}</defs>"


def _cut(text: str, pixels: float) -> str:
    """``text`` escaped, cut with an ellipsis to about ``pixels`` wide."""
    limit = max(4, int(pixels / CHAR))
    return escape(text if len(text) <= limit else text[:limit - 1] + "…")

