"""The demo: a synthetic bank through the whole pipeline, in one command."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portrait.ingest.base import Progress
from portrait.ingest.pipeline import IngestReport
from portrait.services import audience, campaign, ingest, models, recommend, segments, workspace
from portrait.services import tags as tag_service
from portrait.store import Workspace

DEFAULT_CUSTOMERS = 20_000
PROFILES_SHOWN = 3

#: Overview figures of the book, each a (title, query) pair over the canonical tables.
_OVERVIEW: tuple[tuple[str, str], ...] = (
    ("Customers by risk level", "SELECT coalesce(risk_level, 'unknown'), count(*) FROM customers "
                                "GROUP BY 1 ORDER BY 1"),
    ("Holdings by product category", "SELECT p.category, count(*) FROM holdings h JOIN products p "
                                     "USING (product_id) GROUP BY 1 ORDER BY 2 DESC"),
    ("Transactions by channel", "SELECT channel, count(*) FROM transactions GROUP BY 1 "
                                "ORDER BY 2 DESC"),
    ("Events by channel", "SELECT channel, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC"),
)


@dataclass
class Section:
    """One step's outcome in words (for the console and the report) and as data."""

    title: str
    lines: list[str]
    data: Any


@dataclass
class DemoResult:
    workspace: str
    ingest: IngestReport
    report: str
    overview: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    tags: tag_service.BuildReport | None = None
    profiles: list[tag_service.Profile] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"workspace": self.workspace, "report": self.report,
                "ingest": self.ingest.as_dict(), "overview": self.overview,
                "tags": self.tags.as_dict() if self.tags else None,
                "profiles": [p.as_dict() for p in self.profiles],
                **{_key(s.title): s.data for s in self.sections}}


def _key(title: str) -> str:
    return title.lower().replace(" ", "_")


def _overview(ws: Workspace) -> dict[str, list[tuple[str, int]]]:
    engine = ws.engine()
    try:
        return {title: [(str(k), int(n)) for k, n in engine.query(sql)] for title, sql in _OVERVIEW}
    finally:
        engine.close()


def _sample_customers(ws: Workspace, table: str, n: int) -> list[str]:
    """A few customers spread over the book (deterministic)."""
    engine = ws.engine()
    try:
        rows = engine.query(f"SELECT customer_id FROM {table} ORDER BY hash(customer_id) LIMIT {int(n)}")
    finally:
        engine.close()
    return [str(r[0]) for r in rows]


def _markdown(result: DemoResult) -> str:
    rep = result.ingest
    lines = [f"# Portrait demo — {rep.source.source} bank", "",
             f"Workspace: `{result.workspace}`  ", f"Run: `{rep.run_id}`  ",
             f"Default as-of date: {rep.default_as_of}", "",
             "## Tables loaded", "", "| table | loaded | quarantined |", "|---|---:|---:|"]
    lines += [f"| {t} | {c.loaded:,} | {c.quarantined:,} |" for t, c in rep.tables.items()]
    for title, rows in result.overview.items():
        lines += ["", f"## {title}", "", "| value | count |", "|---|---:|"]
        lines += [f"| {k} | {n:,} |" for k, n in rows]
    if result.tags is not None:
        built = result.tags
        lines += ["", f"## Tags as of {built.as_of} ({built.customers:,} customers)", "",
                  "| tag | coverage | note |", "|---|---:|---|"]
        lines += [f"| {t} | {built.coverage.get(t, 0):.1%} | {built.uncovered.get(t, '')} |"
                  for t in built.tags]
    for prof in result.profiles:
        lines += ["", f"## Customer {prof.customer_id}", ""]
        for family, values in prof.families.items():
            shown = "; ".join(f"{v.title}: {v.value}" for v in values)
            lines.append(f"- **{family}** — {shown}")
    for section in result.sections:
        lines += ["", f"## {section.title}", ""]
        lines += [f"- {line}" for line in section.lines]
    return "\n".join(lines) + "\n"


def _models(root: Path, customers: list[str], progress: Progress | None) -> Section:
    trained = models.train_all(root, progress=progress)
    lines = []
    for m in trained["models"]:
        head = m["metrics"]
        if "auc" in head:
            base = max((b.get("auc", 0.0) for b in m["baselines"].values()), default=float("nan"))
            shown = f"AUC {head['auc']:.3f} (best baseline {base:.3f}), lift top decile " \
                    f"{head.get('lift_top_decile', float('nan')):.2f}"
        else:
            shown = ", ".join(f"{k} {v:.3g}" for k, v in head.items())
        flag = " — fairness ratio below 0.8 flagged" if m.get("fairness_flagged") else ""
        lines.append(f"{m['name']}: {shown}{flag}")
    # response models need a campaign's outcomes: trained after the demo campaign
    lines += [f"{name}: not trained — {why}" for name, why in trained.get("skipped", {}).items()
              if not name.startswith("response")]
    shelves = []
    for cid in customers:
        shelf = recommend.recommend(root, cid, "en")
        shelves.append(shelf)
        picks = [f"{p['name']} [{p['risk_grade']}] ({'; '.join(r['text'] for r in p['reasons'][:2])})"
                 for p in shelf["predicted"][:3]]
        flags = f" — {', '.join(shelf['flags'])}" if shelf["flags"] else ""
        lines.append(f"Customer {cid} ({shelf['risk_level'] or 'no risk assessment'}): next best "
                     f"{', '.join(picks) or 'nothing suitable'}{flags}")
    return Section("Models and recommendations", lines, {"training": trained, "recommendations": shelves})


def _segments(root: Path, seed: int) -> Section:
    fitted = segments.fit(root, None, seed, None)
    cards = segments.cards(root, "en", None)
    cards_zh = {c["segment"]: c for c in segments.cards(root, "zh", None)}
    top = segments.opportunities(root, 5, None)
    lines = [f"{fitted['k']} segments ({fitted['criterion']})"]
    for c in cards:
        traits = ", ".join(d["title"] for d in c["distinguishing"][:3])
        lines.append(f"{c['segment']} {c['name']} / {cards_zh[c['segment']]['name']} — "
                     f"{c['size']:,} ({c['share']:.0%}): {traits}")
    lines += [f"Opportunity: {o['segment']} {o['title']}: {o['expected_conversions']:,.0f} expected of "
              f"{o['non_holders']:,} — `{o['audience']}`" for o in top]
    return Section("Segments", lines, {"fit": fitted, "cards": cards, "opportunities": top})


DEMO_CAMPAIGN = "demo-wealth"
#: Trained on the demo campaign's outcomes (its objective, WM_FIX_1Y, is a wealth product).
DEMO_RESPONSE_MODEL = "response_wealth"
#: An audience a marketer might draw: young women with some assets, active, no insurance.
DEMO_AUDIENCE = ("generation in ('post_80s', 'post_90s') and gender = 'F' and aum_band >= 'aum_50k_200k' "
                 "and not holds('insurance') and days_since_last_activity <= 30")


def _audience(root: Path) -> Section:
    counted = audience.count(root, DEMO_AUDIENCE)
    audience.save(root, "young_women_no_insurance", DEMO_AUDIENCE, replace=True)
    lines = [f"`{DEMO_AUDIENCE}`",
             f"{counted['count']:,} customers as of {counted['as_of']} ({counted['ms']:.1f} ms, bitmap "
             "index); saved as young_women_no_insurance"]
    return Section("Audience", lines, counted)


def _campaign(root: Path, seed: int, progress: Progress | None = None) -> Section:
    done = [c for c in campaign.list_campaigns(root)
            if c["campaign_id"] == DEMO_CAMPAIGN and c["status"] == "launched"]
    if done:  # a campaign contacts each customer once: the rerun shows the first run's outcome
        report = root / "reports" / f"campaign-{DEMO_CAMPAIGN}.html"
        return Section("Campaign", [f"The demo campaign already ran in this workspace (launched "
                                    f"{done[0]['launched_at']}); its evaluation: {report}"], done[0])
    out = campaign.run_demo_campaign(root, seed=seed)
    funnel = out["plan"]["funnel"]
    ev = out["evaluation"]
    lo, hi = out["ci95"]
    excluded = ", ".join(f"{why.replace('_', ' ')} {n:,}" for why, n in funnel["excluded"].items() if n)
    lines = [f"Funnel: audience {funnel['audience']:,} → eligible {funnel['eligible']:,} (excluded: "
             f"{excluded or 'none'}) → treatment {funnel['treatment']:,} / control {funnel['control']:,}",
             f"Estimated lift {out['estimated_lift']:.2%} (95% CI {lo:.2%} … {hi:.2%}); planted truth "
             f"{out['truth']['ate']:.2%}; covered: {out['covers_truth']}",
             f"Cost {ev['cost']:,.2f}; incremental conversions "
             f"{ev['incremental_conversions']['estimate']:,.1f}; ROI {ev['roi']['estimate']:,.2f}",
             f"Report: {out['report']}"]
    up = ev.get("uplift") or {}
    if "qini" in up:
        lines.append(f"Uplift model ({up['model']}): Qini {up['qini']:.4f}, AUUC {up['auuc']:.4f} "
                     "(who to target next time)")
    lines.append(_response_model(root, progress))
    return Section("Campaign", lines, out)


def _response_model(root: Path, progress: Progress | None) -> str:
    """Train the response model on the campaign's outcomes (feedback into the models)."""
    trained = models.train_all(root, only=[DEMO_RESPONSE_MODEL], progress=progress)
    found = [m for m in trained["models"] if m["name"] == DEMO_RESPONSE_MODEL]
    if not found:
        why = trained.get("skipped", {}).get(DEMO_RESPONSE_MODEL, "not trained")
        return f"Response model {DEMO_RESPONSE_MODEL}: not trained — {why}"
    m = found[0]
    logistic = m["baselines"].get("logistic", {}).get("auc", float("nan"))
    return (f"Response model {DEMO_RESPONSE_MODEL} trained on the campaign's outcomes "
            f"({m.get('split', '')}): AUC {m['metrics']['auc']:.3f} (logistic {logistic:.3f}); "
            f"its scores are the tags {DEMO_RESPONSE_MODEL} and {DEMO_RESPONSE_MODEL}_band")


def run_demo(ws_path: Path | None, *, customers: int = DEFAULT_CUSTOMERS, seed: int = 42,
             progress: Progress | None = None) -> DemoResult:
    """Create a workspace, generate a synthetic bank, and run every step on it.

    Ingest → tags → profiles → models and recommendations → segments and opportunities →
    a campaign with a control group, evaluated against the uplift the simulation planted.
    The report (``reports/demo.md``) is written as the steps finish.
    """
    ws = workspace.init(ws_path)
    report = ingest.ingest_synth(ws.root, customers, seed, progress=progress)
    ws.reports_dir.mkdir(parents=True, exist_ok=True)
    out = ws.reports_dir / "demo.md"
    result = DemoResult(str(ws.root), report, str(out), _overview(ws))
    if tag_service.list_tags(ws.root):
        result.tags = tag_service.build_tags(ws.root, progress=progress)
        sample = _sample_customers(ws, result.tags.table, PROFILES_SHOWN)
        result.profiles = [tag_service.customer_profile(ws.root, cid) for cid in sample]
        out.write_text(_markdown(result), encoding="utf-8")
        result.sections.append(_models(ws.root, sample, progress))
        out.write_text(_markdown(result), encoding="utf-8")
        result.sections.append(_segments(ws.root, seed))
        result.sections.append(_audience(ws.root))
        out.write_text(_markdown(result), encoding="utf-8")
        result.sections.append(_campaign(ws.root, seed, progress))
    out.write_text(_markdown(result), encoding="utf-8")
    return result
