"""A small synthetic bank with tags built, made once per test session and copied per test."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from portrait.services import ingest, tags
from portrait.store import crypto


@pytest.fixture(scope="session")
def bank_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ.pop("PORTRAIT_KEY", None)
    root = tmp_path_factory.mktemp("campaign-bank") / "ws"
    # A fixed workspace key: arms are keyed hashes of it, so with a random key every run
    # would draw new arms and a test of a 95% interval would fail one run in twenty.
    key = root / "keys" / "workspace.key"
    key.parent.mkdir(parents=True)
    key.write_text(crypto.encode_key(bytes(range(32))), encoding="ascii")
    key.chmod(0o600)
    ingest.ingest_synth(root, 3000, 1)
    tags.build_tags(root)
    return root


@pytest.fixture
def bank(bank_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the synthetic bank (3,000 customers, seed 1, tags built)."""
    monkeypatch.delenv("PORTRAIT_KEY", raising=False)
    root = tmp_path / "ws"
    shutil.copytree(bank_template, root)
    return root


SPEC = """\
id: {id}
name: Wealth test
objective: {{product: {product}, revenue_rate: 0.01}}
audience: {{top: {{score: aum, n: {n}}}}}
channels:
  - {{channel: app_push, cost: 0.02}}
  - {{channel: sms, cost: 0.05}}
  - {{channel: email, cost: 0.01}}
templates:
  zh: "{{salutation}}，{zh}理财非存款、产品有风险、投资须谨慎。"
  en: >-
    {{salutation}}, {en} Wealth management products are not deposits; products carry
    risk; invest with caution.
schedule: {{start: 2026-01-05T10:00:00, end: 2026-01-19T18:00:00}}
control_share: 0.2
{extra}
"""


def write_spec(folder: Path, *, id: str = "wealth", product: str = "WM_FIX_1Y", n: int = 2000,
               zh: str = "稳享固收1年开售。", en: str = "Our 1-year product is on sale.",
               extra: str = "") -> Path:
    path = folder / f"{id}.yaml"
    path.write_text(SPEC.format(id=id, product=product, n=n, zh=zh, en=en, extra=extra),
                    encoding="utf-8")
    return path
