"""Segments on the real Berka data: every card's distinguishing tags hold in its segment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from portrait.audience.segments import heavy_tailed
from portrait.ingest.berka import BerkaAdapter
from portrait.ingest.pipeline import run_ingest
from portrait.services import segments
from portrait.store import init_workspace
from portrait.tags.build import build, load_plan

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import shared

    workspace = init_workspace(tmp_path_factory.mktemp("berka-segments") / "ws")
    run_ingest(workspace, BerkaAdapter(shared("berka")))
    engine = workspace.engine()
    try:
        build(engine, load_plan())
    finally:
        engine.close()
    return workspace.root


def test_cards_read_true_on_berka(ws: Path) -> None:
    fitted = segments.fit(ws, None, 0, None)
    assert 3 <= fitted["k"] <= 10
    cards = segments.cards(ws, "en", None)
    assert len({c["name"] for c in cards}) == len(cards)
    from portrait.store import open_workspace

    engine = open_workspace(ws).engine()
    try:
        frame = engine.query_arrow(f"SELECT * FROM {fitted['table']}").to_pandas()
    finally:
        engine.close()
    for card in cards:
        inside = frame["segment"] == card["segment"]
        assert int(inside.sum()) == card["size"]
        assert card["distinguishing"], card["segment"]
        for item in card["distinguishing"]:
            values = frame[item["tag"]]
            if item["kind"] == "value":
                text = values.map(lambda v: str(v).lower() if isinstance(v, bool) else v)
                share_in = float((text[inside] == item["value"]).mean())
                share_all = float((text == item["value"]).mean())
                assert share_in / share_all > 1.0, (card["segment"], item)
                assert share_in / share_all == pytest.approx(item["lift"], abs=1e-2)
            else:
                x = np.asarray(values, dtype=float)
                x = np.sign(x) * np.log1p(np.abs(x)) if heavy_tailed(x) else x
                higher = np.nanmean(x[inside.to_numpy()]) > np.nanmean(x)
                assert higher == (item["direction"] == "high"), (card["segment"], item)
    ops = segments.opportunities(ws, 3, None)
    assert ops and ops[0]["expected_conversions"] >= ops[-1]["expected_conversions"]
