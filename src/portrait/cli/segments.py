"""``portrait segments …``: fit clustering segments, show their cards, list opportunities."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from portrait.cli import render
from portrait.cli.options import AsOfOpt, JsonOpt, WorkspaceOpt, parse_date
from portrait.services import segments as service

app = typer.Typer(help="Clustering segments: fit, cards, opportunities by segment.",
                  no_args_is_help=True)
LangOpt = Annotated[str, typer.Option("--lang", help="Language of names and titles: zh or en.")]


def _k(value: str) -> int | None:
    if value == "auto":
        return None
    try:
        return int(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is neither 'auto' nor a number.") from None


@app.command("fit")
def fit_cmd(
    k: Annotated[str, typer.Option("--k", help="Number of segments, or 'auto' (silhouette, 3…10).")
                 ] = "auto",
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    as_of: AsOfOpt = None, workspace_path: WorkspaceOpt = None, as_json: JsonOpt = False,
) -> None:
    """Cluster the customers of a tag snapshot; written back as the tag `segment`."""
    n, day = _k(k), parse_date(as_of)
    result = render.run_with_progress(
        lambda bar: service.fit(workspace_path, n, seed, day, progress=bar), as_json=as_json)
    if as_json:
        render.emit_json(result)
        return
    table = Table(title=f"{result['k']} segments as of {result['as_of']} "
                        f"({result['customers']:,} customers)")
    for col in ("segment", "size", "share", "name", "名称"):
        table.add_column(col, justify="right" if col in ("size", "share") else "left")
    for s in result["segments"]:
        table.add_row(s["segment"], f"{s['size']:,}", f"{s['share']:.1%}", s["name"]["en"],
                      s["name"]["zh"])
    render.console.print(table)
    render.console.print(f"k: {result['criterion']}; {result['algorithm']}, seed {result['seed']}.")
    if result["silhouette"]:
        render.console.print("Silhouette by k: " + ", ".join(
            f"{k}: {v:.3f}" for k, v in result["silhouette"].items()))
    render.console.print(f"Features: {len(result['features'])} tags "
                         f"({result['feature_columns']} columns); {len(result['skipped'])} left out "
                         "(see --json). Cards: `portrait segments show`.")


def _item(item: dict[str, Any]) -> str:
    if item["kind"] == "numeric":
        ratio = f" (median ×{item['ratio']:.2f})" if item.get("ratio") is not None else ""
        return f"{item['title']} {'↑' if item['z'] > 0 else '↓'} z={item['z']:+.2f}{ratio}"
    return (f"{item['title']} = {item['value']}: {item['segment_share']:.0%} vs "
            f"{item['book_share']:.0%} (lift {item['lift']:.2f})")


@app.command("show")
def show_cmd(lang: LangOpt = "en", as_of: AsOfOpt = None, workspace_path: WorkspaceOpt = None,
             as_json: JsonOpt = False) -> None:
    """A card per segment: size, distinguishing tags, product holdings, name."""
    day = parse_date(as_of)
    found = render.run(lambda: service.cards(workspace_path, lang, day), as_json=as_json)
    if as_json:
        render.emit_json(found)
        return
    for card in found:
        table = Table(title=f"{card['segment']} · {card['name']} — {card['size']:,} customers "
                            f"({card['share']:.1%})", show_header=False, title_justify="left")
        table.add_column("what")
        table.add_column("detail")
        for item in card["distinguishing"]:
            table.add_row("distinguishing", _item(item))
        held = sorted(card["holdings"], key=lambda h: -(h["lift"] or 0))
        table.add_row("holdings", ", ".join(
            f"{h['title']} {h['segment_rate']:.0%} (book {h['book_rate']:.0%})" for h in held
            if h["segment_rate"] or h["book_rate"]) or "—")
        render.console.print(table)


@app.command("opportunities")
def opportunities_cmd(
    top: Annotated[int, typer.Option("--top", min=1, help="How many to list.")] = 10,
    lang: LangOpt = "en", as_of: AsOfOpt = None, workspace_path: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Segment × product: non-holders in a segment, expected conversions at its adoption rate."""
    day = parse_date(as_of)
    rows = render.run(lambda: service.opportunities(workspace_path, top, day, lang),
                      as_json=as_json)
    if as_json:
        render.emit_json(rows)
        return
    table = Table(title=f"Top {len(rows)} opportunities by segment", caption="; ".join(
        sorted({f"{r['segment']}: {r['name']}" for r in rows})))
    for col in ("segment", "product", "rate in segment", "in book", "non-holders",
                "expected", "audience"):
        table.add_column(col, justify="right" if col in ("rate in segment", "in book",
                                                           "non-holders", "expected") else "left",
                         overflow="fold")
    for r in rows:
        table.add_row(r["segment"], r["title"], f"{r['segment_rate']:.1%}",
                      f"{r['book_rate']:.1%}", f"{r['non_holders']:,}",
                      f"{r['expected_conversions']:,.0f}", r["audience"])
    render.console.print(table)
