"""``portrait demo``: the newcomer's single command, end to end through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_demo_runs_the_pipeline_and_writes_a_report(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PORTRAIT_HOME", "PORTRAIT_KEY")}
    ws = tmp_path / "demo"
    out = subprocess.run([sys.executable, "-m", "portrait", "demo", "--customers", "300", "-w", str(ws),
                          "--json"], capture_output=True, text=True, env=env, check=False)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    tables = result["ingest"]["tables"]
    assert tables["customers"] == {"loaded": 300, "quarantined": 0}
    assert all(t["quarantined"] == 0 for t in tables.values())
    assert tables["transactions"]["loaded"] > 0 and tables["events"]["loaded"] > 0
    report = Path(result["report"])
    assert report.is_file() and report.parent == ws / "reports"
    text = report.read_text(encoding="utf-8")
    assert "## Tables loaded" in text and "## Tags as of" in text
    # the synthetic bank covers every tag but the scores of models not yet trained
    from portrait.tags.loader import load_catalog

    kinds = {t.spec.name: t.spec.kind for t in load_catalog()}
    assert {kinds[t] for t in result["tags"]["uncovered"]} <= {"model"}
    assert len(result["profiles"]) == 3
    # then models, recommendations within the customer's risk level, segments, a campaign
    trained = result["models_and_recommendations"]
    names = {m["name"] for m in trained["training"]["models"]}
    assert "value" in names and any(n.startswith("propensity_") for n in names)
    # a small bank may lack positives for a model: it is reported as skipped, with why
    assert names | set(trained["training"]["skipped"]) >= {"churn", "value"}
    for shelf in trained["recommendations"]:
        allowed = shelf["max_grade"]
        assert all(p["risk_grade"] <= allowed for p in shelf["predicted"] + shelf["migratable"])
    assert len(result["segments"]["cards"]) == result["segments"]["fit"]["k"]
    assert result["audience"]["count"] >= 0
    assert result["campaign"]["plan"]["funnel"]["control"] > 0
    assert "## Segments" in text and "## Campaign" in text
    def status() -> dict[str, int]:
        out = subprocess.run([sys.executable, "-m", "portrait", "status", "-w", str(ws), "--json"],
                             capture_output=True, text=True, env=env, check=True).stdout
        return json.loads(out)["tables"]  # type: ignore[no-any-return]

    contacts = status()["contacts"]
    assert contacts > 0
    # a second run on the same workspace is idempotent
    again = subprocess.run([sys.executable, "-m", "portrait", "demo", "--customers", "300", "-w", str(ws),
                            "--json"], capture_output=True, text=True, env=env, check=False)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["campaign"]["status"] == "launched"  # shown, not relaunched
    after = status()
    assert after["customers"] == 300
    assert after["transactions"] == tables["transactions"]["loaded"]
    assert after["contacts"] == contacts  # nobody contacted twice
