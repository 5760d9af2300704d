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
    # the synthetic bank covers every tag but the model score
    assert set(result["tags"]["uncovered"]) <= {"churn_probability"}
    assert len(result["profiles"]) == 3
    # a second run on the same workspace is idempotent
    again = subprocess.run([sys.executable, "-m", "portrait", "demo", "--customers", "300", "-w", str(ws),
                            "--json"], capture_output=True, text=True, env=env, check=False)
    assert again.returncode == 0, again.stderr
    status = json.loads(subprocess.run([sys.executable, "-m", "portrait", "status", "-w", str(ws), "--json"],
                                       capture_output=True, text=True, env=env, check=True).stdout)
    assert status["tables"]["customers"] == 300
    assert status["tables"]["transactions"] == tables["transactions"]["loaded"]
