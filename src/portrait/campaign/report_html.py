"""The campaign evaluation as one self-contained HTML page with inline SVG charts.

Nothing is loaded from elsewhere (no CDN, no JavaScript): the charts are SVG drawn here —
the funnel, conversion by arm with 95% intervals, lift by segment with intervals (a
forest plot), and the uplift model's Qini curve against random targeting.
"""

from __future__ import annotations

from html import escape
from typing import Any

W, H, PAD = 560, 240, 40


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.2%}"


def _bars(items: list[tuple[str, float]], title: str) -> str:
    top = max([v for _, v in items] + [1.0])
    bar_h = 22
    height = PAD + bar_h * len(items) + 10
    out = [f'<svg viewBox="0 0 {W} {height}" width="{W}" height="{height}" role="img">',
           f'<text x="4" y="18" font-weight="bold">{escape(title)}</text>']
    for i, (label, v) in enumerate(items):
        y = PAD + i * bar_h
        width = (W - 220) * v / top
        out.append(f'<text x="4" y="{y + 15}">{escape(label)}</text>'
                   f'<rect x="150" y="{y + 3}" width="{width:.1f}" height="{bar_h - 6}" fill="#4a78b5"/>'
                   f'<text x="{155 + width:.1f}" y="{y + 15}">{v:,.0f}</text>')
    out.append("</svg>")
    return "".join(out)


def _interval_chart(rows: list[tuple[str, float, float, float]], title: str, zero: bool) -> str:
    """A dot with its interval per row; a dashed line at 0 when ``zero``."""
    lo = min([r[2] for r in rows] + ([0.0] if zero else []))
    hi = max([r[3] for r in rows] + ([0.0] if zero else []))
    span = (hi - lo) or 1.0
    row_h = 26
    height = PAD + row_h * len(rows) + 20
    x0, x1 = 170, W - 20

    def sx(v: float) -> float:
        return x0 + (v - lo) / span * (x1 - x0)

    out = [f'<svg viewBox="0 0 {W} {height}" width="{W}" height="{height}" role="img">',
           f'<text x="4" y="18" font-weight="bold">{escape(title)}</text>']
    if zero:
        out.append(f'<line x1="{sx(0):.1f}" y1="{PAD - 8}" x2="{sx(0):.1f}" y2="{height - 20}" '
                   'stroke="#999" stroke-dasharray="4 3"/>')
    for i, (label, est, a, b) in enumerate(rows):
        y = PAD + i * row_h + 10
        out.append(f'<text x="4" y="{y + 4}">{escape(label)}</text>'
                   f'<line x1="{sx(a):.1f}" y1="{y}" x2="{sx(b):.1f}" y2="{y}" stroke="#333" '
                   'stroke-width="2"/>'
                   f'<circle cx="{sx(est):.1f}" cy="{y}" r="4" fill="#c0392b"/>')
    out.append(f'<text x="{x0}" y="{height - 4}">{lo:.2%}</text>'
               f'<text x="{x1 - 50}" y="{height - 4}">{hi:.2%}</text></svg>')
    return "".join(out)


def _qini(curve: list[list[float]]) -> str:
    gains = [g for _, g in curve]
    lo, hi = min([*gains, 0.0]), max([*gains, 1.0])
    span = (hi - lo) or 1.0

    def pt(f: float, g: float) -> str:
        return f"{PAD + f * (W - 2 * PAD):.1f},{H - PAD - (g - lo) / span * (H - 2 * PAD):.1f}"

    line = " ".join(pt(f, g) for f, g in curve)
    end = curve[-1]
    return (f'<svg viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img">'
            '<text x="4" y="18" font-weight="bold">Qini curve (uplift model vs random)</text>'
            f'<polyline points="{line}" fill="none" stroke="#4a78b5" stroke-width="2"/>'
            f'<line x1="{pt(0, 0).split(",")[0]}" y1="{pt(0, 0).split(",")[1]}" '
            f'x2="{pt(end[0], end[1]).split(",")[0]}" y2="{pt(end[0], end[1]).split(",")[1]}" '
            'stroke="#999" stroke-dasharray="4 3"/>'
            f'<text x="{PAD}" y="{H - 10}">share of customers targeted →</text>'
            f'<text x="4" y="{PAD - 6}">incremental conversions ↑</text></svg>')


def render(ev: dict[str, Any]) -> str:
    """The HTML page of an evaluation (the dict of ``Evaluation.as_dict``)."""
    parts = [f"<h1>Campaign {escape(ev['campaign_id'])} — {escape(ev['name'])}</h1>",
             f"<p>Sent {escape(str(ev.get('send_at')))}; attribution window "
             f"{ev.get('attribution_days')} days; {ev.get('n_treatment', 0):,} treatment, "
             f"{ev.get('n_control', 0):,} control.</p>"]
    funnel = ev.get("funnel") or {}
    if funnel:
        items = [("audience", float(funnel.get("audience", 0)))]
        items += [(f"− {k}", float(v)) for k, v in funnel.get("excluded", {}).items() if v]
        items += [("eligible", float(funnel.get("eligible", 0))),
                  ("treatment", float(funnel.get("treatment", 0))),
                  ("control", float(funnel.get("control", 0)))]
        parts.append(_bars(items, "Funnel"))
    conv = ev.get("conversion")
    if conv:
        parts.append(
            "<table><tr><th></th><th>estimate</th><th>95% CI</th><th>p-value</th></tr>"
            f"<tr><td>conversion, treatment / control</td><td>{_pct(conv['mean_treatment'])} / "
            f"{_pct(conv['mean_control'])}</td><td></td><td></td></tr>"
            f"<tr><td>absolute lift</td><td>{_pct(conv['diff'])}</td><td>[{_pct(conv['ci95'][0])}, "
            f"{_pct(conv['ci95'][1])}]</td><td>{conv['p_value']:.4g}</td></tr>"
            f"<tr><td>relative lift</td><td>{_pct(conv['relative_lift'])}</td><td>"
            + (f"[{_pct(conv['relative_lift_ci95'][0])}, {_pct(conv['relative_lift_ci95'][1])}]"
               if conv.get("relative_lift_ci95") else "—") + "</td><td></td></tr>"
            + _money_rows(ev) + "</table>")
        parts.append(_interval_chart(
            [("lift (all)", conv["diff"], conv["ci95"][0], conv["ci95"][1])]
            + [(f"{s['stratum']} (n={s['n_treatment'] + s['n_control']:,})", s["conversion"]["diff"],
                s["conversion"]["ci95"][0], s["conversion"]["ci95"][1])
               for s in ev.get("by_segment", []) if s.get("conversion")],
            "Conversion lift by segment, 95% CI", zero=True))
    up = ev.get("uplift") or {}
    if up.get("curve"):
        parts.append(f"<p>Uplift model: {escape(up['model'])}; AUUC {up['auuc']:.4f}, "
                     f"Qini coefficient {up['qini']:.4f} (0 = random targeting).</p>")
        parts.append(_qini(up["curve"]))
    elif up.get("error"):
        parts.append(f"<p>Uplift model not fitted: {escape(up['error'])}</p>")
    style = ("body{font-family:sans-serif;max-width:760px;margin:2em auto}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}"
             "svg{display:block;margin:1em 0;font-size:12px}")
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Campaign "
            f"{escape(ev['campaign_id'])}</title><style>{style}</style></head><body>"
            + "".join(parts) + "</body></html>")


def _money_rows(ev: dict[str, Any]) -> str:
    rows = [f"<tr><td>cost</td><td>{ev.get('cost', 0):,.2f}</td><td></td><td></td></tr>"]
    inc = ev.get("incremental_conversions")
    if inc:
        rows.append(f"<tr><td>incremental conversions</td><td>{inc['estimate']:,.1f}</td>"
                    f"<td>[{inc['ci95'][0]:,.1f}, {inc['ci95'][1]:,.1f}]</td><td></td></tr>")
    rev = ev.get("incremental_revenue")
    if rev:
        rows.append(f"<tr><td>incremental revenue</td><td>{rev['estimate']:,.2f}</td>"
                    f"<td>[{rev['ci95'][0]:,.2f}, {rev['ci95'][1]:,.2f}]</td><td></td></tr>")
    roi = ev.get("roi")
    if roi:
        rows.append(f"<tr><td>ROI</td><td>{roi['estimate']:.2f}</td>"
                    f"<td>[{roi['ci95'][0]:.2f}, {roi['ci95'][1]:.2f}]</td><td></td></tr>")
    return "".join(rows)
