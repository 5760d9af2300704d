"""``portrait segments`` end to end on a small synthetic bank."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from portrait.cli.app import app

runner = CliRunner()


def call(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("segments") / "ws"
    call("ingest", "synth", "--customers", "2000", "--seed", "1", "-w", str(path))
    built = call("tags", "build", "-w", str(path))
    assert "segment" in built["uncovered"]
    return path


def test_fit_show_opportunities(ws: Path) -> None:
    fitted = call("segments", "fit", "--seed", "3", "-w", str(ws))
    assert 3 <= fitted["k"] <= 10 and set(fitted["silhouette"]) == {str(k) for k in range(3, 11)}
    assert fitted["customers"] == 2000
    assert sum(s["size"] for s in fitted["segments"]) == 2000
    assert "gender" not in fitted["features"] and fitted["skipped"]["gender"].startswith("protected")
    shown = call("segments", "show", "--lang", "zh", "-w", str(ws))
    assert [c["segment"] for c in shown] == [f"S{i + 1}" for i in range(fitted["k"])]
    assert len({c["name"] for c in shown}) == fitted["k"]
    assert all(c["distinguishing"] and c["holdings"] for c in shown)
    assert shown[0]["name"] == fitted["segments"][0]["name"]["zh"]
    ops = call("segments", "opportunities", "--top", "5", "-w", str(ws))
    assert len(ops) == 5
    gains = [o["expected_conversions"] for o in ops]
    assert gains == sorted(gains, reverse=True)
    first = ops[0]
    card = next(c for c in shown if c["segment"] == first["segment"])
    held = next(h for h in card["holdings"] if h["category"] == first["category"])
    assert first["non_holders"] == card["size"] - held["holders"]
    assert first["audience"] == f"segment = '{first['segment']}' and not holds('{first['category']}')"
    text = runner.invoke(app, ["segments", "show", "-w", str(ws)])
    assert text.exit_code == 0 and "S1 ·" in text.stdout


def test_segment_is_a_tag_of_the_snapshot_and_reproducible(ws: Path) -> None:
    from portrait.store import open_workspace
    from portrait.tags import snapshots

    def assignment() -> dict[str, str]:
        engine = open_workspace(ws).engine()
        try:
            snap = snapshots.find(engine, None)
            assert snap is not None and "segment" in snap["tags"]
            assert "segment" not in snap["uncovered"]
            rows = engine.query(f"SELECT customer_id, segment FROM {snap['table']}")
            history = engine.query("SELECT count(*) FROM tag_history WHERE tag = 'segment'")
            assert history[0][0] == 2000
        finally:
            engine.close()
        return dict(rows)  # type: ignore[arg-type]

    call("segments", "fit", "--seed", "5", "--k", "4", "-w", str(ws))
    first = assignment()
    assert set(first.values()) == {"S1", "S2", "S3", "S4"}
    call("segments", "fit", "--seed", "5", "--k", "4", "-w", str(ws))
    assert assignment() == first


def test_errors(ws: Path, tmp_path: Path) -> None:
    assert call("segments", "fit", "--k", "1", "-w", str(ws), code=2)["kind"] == "UsageError"
    assert runner.invoke(app, ["segments", "fit", "--k", "many", "-w", str(ws)]).exit_code == 2
    assert call("segments", "show", "--lang", "fr", "-w", str(ws), code=2)["kind"] == "UsageError"
    missing = call("segments", "show", "--as-of", "2001-01-01", "-w", str(ws), code=2)
    assert missing["kind"] == "NotFoundError"


def test_a_rebuild_empties_segments_until_fitted_again(ws: Path) -> None:
    call("segments", "fit", "--seed", "1", "--k", "3", "-w", str(ws))
    built = call("tags", "build", "-w", str(ws))
    assert "segment" in built["uncovered"]
    stale = call("segments", "show", "-w", str(ws), code=2)
    assert "rebuilt" in stale["error"] and "segments fit" in stale["hint"]
    call("segments", "fit", "--seed", "1", "--k", "3", "-w", str(ws))
    assert len(call("segments", "show", "-w", str(ws))) == 3
