"""A tag-quality report as one self-contained HTML page (inline CSS, bars as CSS widths,
no scripts, no external assets), in English with Chinese titles beside.
"""

from __future__ import annotations

import math
from html import escape

from portrait.tags.quality_report import QualityReport, TagQuality

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;
margin:2rem;color:#1f2933;background:#fff}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d9e2ec}
.sub{color:#52606d;margin-top:0}table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{border-bottom:1px solid #e4e7eb;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f7fa;position:sticky;top:0}td.n{text-align:right;font-variant-numeric:tabular-nums}
.zh{color:#616e7c;font-size:.8rem}.bar{display:inline-block;width:80px;height:8px;background:#e4e7eb;
border-radius:4px;margin-right:.4rem;vertical-align:middle}.bar>span{display:block;height:100%;
border-radius:4px;background:#3e7bfa}.iv>span{background:#27ab83}.dist{margin:0;padding:0;list-style:none}
.dist li{white-space:nowrap}.dist .bar{width:60px}.badge{padding:.05rem .4rem;border-radius:.6rem;
font-size:.75rem}.stable{background:#e3f9e5;color:#207227}.moderate{background:#fff3c4;color:#8d6708}
.unstable{background:#ffe3e3;color:#ab091e}.prune{color:#ab091e}.muted{color:#9aa5b1}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem;font-size:.85rem}dt{font-weight:600}
"""


def _bar(share: float, css: str = "") -> str:
    width = 0.0 if math.isnan(share) else max(0.0, min(1.0, share)) * 100
    return f'<span class="bar {css}"><span style="width:{width:.1f}%"></span></span>'


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"{value:,.{digits}f}"


def _distribution(tag: TagQuality) -> str:
    if tag.quantiles:
        return " · ".join(f"{k} {_fmt(v, 2)}" for k, v in tag.quantiles.items())
    items = "".join(f"<li>{_bar(share)}{escape(value)} <span class='muted'>{share:.1%}</span></li>"
                    for value, share in tag.top_values[:6])
    more = len(tag.top_values) - 6
    tail = f"<li class='muted'>… {more} more</li>" if more > 0 else ""
    return f'<ul class="dist">{items}{tail}</ul>'


def _tag_rows(report: QualityReport, outcomes: list[str], pruned: dict[str, str]) -> str:
    rows = []
    for t in report.tags:
        psi = (f'{_fmt(t.psi)} <span class="badge {t.stability}">{t.stability}</span>'
               if t.stability else "—")
        cells = [
            f"<b>{escape(t.name)}</b><br>{escape(t.title_en)} <span class='zh'>{escape(t.title_zh)}</span>",
            escape(t.type), f"{_bar(t.coverage)}{t.coverage:.1%}", f"{t.cardinality:,}",
            _distribution(t), psi,
        ]
        for o in outcomes:
            res = t.outcomes.get(o)
            cells.append("—" if res is None else
                         f"{_bar(res.iv / 0.5, 'iv')}{_fmt(res.iv)}<br><span class='muted'>lift "
                         f"{_fmt(res.lift, 2)} in {escape(res.top_bin)}</span>")
        note = pruned.get(t.name)
        cells.append(f"<span class='prune'>{escape(note)}</span>" if note else "")
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return "\n".join(rows)


def render_html(report: QualityReport) -> str:
    """The report as a standalone HTML document."""
    outcomes = [o.category for o in report.outcomes if o.analysed]
    pruned = {p.tag: p.reason for p in report.prune}
    head = ["Tag<br><span class='zh'>标签</span>", "Type<br><span class='zh'>类型</span>",
            "Coverage<br><span class='zh'>覆盖率</span>", "Distinct<br><span class='zh'>取值数</span>",
            "Distribution<br><span class='zh'>分布</span>", "PSI<br><span class='zh'>稳定性</span>",
            *(f"IV · {escape(o)}<br><span class='zh'>信息值</span>" for o in outcomes),
            "Prune<br><span class='zh'>建议剔除</span>"]
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Tag quality {report.as_of}</title><style>{_CSS}</style></head><body>",
        f"<h1>Tag quality · 标签质量 — {report.as_of}</h1>",
        f"<p class='sub'>{report.customers:,} customers · {len(report.tags)} tags analysed · "
        f"{len(report.uncovered)} uncovered · stability against "
        f"{report.previous_as_of or 'no earlier snapshot'} · {report.elapsed_s:.1f} s</p>",
    ]
    if report.outcomes:
        parts.append("<h2>Outcomes · 目标</h2><table><tr><th>Adoption of</th><th>Window</th>"
                     "<th>Population</th><th>Already holding</th><th>Adopters</th><th>Rate</th>"
                     "<th>Note</th></tr>")
        for o in report.outcomes:
            parts.append(f"<tr><td>{escape(o.category)}</td><td>({o.start}, {o.end}]</td>"
                         f"<td class='n'>{o.population:,}</td><td class='n'>{o.already_holding:,}</td>"
                         f"<td class='n'>{o.adopters:,}</td><td class='n'>{o.rate:.2%}</td>"
                         f"<td>{escape(o.note or '')}</td></tr>")
        parts.append("</table>")
    parts += ["<h2>Tags · 标签</h2>",
              "<p class='sub'>PSI: &lt; 0.1 stable, 0.1 – 0.25 moderate, &gt; 0.25 unstable. "
              "IV: &lt; 0.02 no signal, 0.02 – 0.1 weak, 0.1 – 0.3 medium, &gt; 0.3 strong (bar full at "
              "0.5). Lift: adoption rate in the best bin ÷ overall rate.</p>",
              "<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>",
              _tag_rows(report, outcomes, pruned), "</table>"]
    parts.append("<h2>Redundant pairs · 冗余标签对 (&gt; 0.9)</h2>")
    if report.pairs:
        parts.append("<table><tr><th>Tag A</th><th>Tag B</th><th>Measure</th><th>Value</th>"
                     "<th>Rows</th></tr>")
        parts += [f"<tr><td>{escape(p.a)}</td><td>{escape(p.b)}</td><td>{escape(p.measure)}</td>"
                  f"<td class='n'>{_fmt(p.value)}</td><td class='n'>{p.rows:,}</td></tr>"
                  for p in report.pairs]
        parts.append("</table>")
    else:
        parts.append("<p class='muted'>None.</p>")
    parts.append("<h2>Pruning list · 建议剔除</h2>")
    if report.prune:
        parts.append("<table><tr><th>Tag</th><th>Reason</th><th>Why</th><th>Keep</th></tr>")
        parts += [f"<tr><td>{escape(p.tag)}</td><td>{escape(p.reason)}</td><td>{escape(p.detail)}</td>"
                  f"<td>{escape(p.keep or '')}</td></tr>" for p in report.prune]
        parts.append("</table>")
    else:
        parts.append("<p class='muted'>None.</p>")
    if report.uncovered:
        parts.append("<h2>Uncovered · 未覆盖</h2><dl>" + "".join(
            f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in report.uncovered.items()) + "</dl>")
    parts.append("<h2>Method · 方法</h2><dl>" + "".join(
        f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in report.method.items()) + "</dl>")
    if report.notes:
        parts.append("<ul>" + "".join(f"<li>{escape(n)}</li>" for n in report.notes) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)
