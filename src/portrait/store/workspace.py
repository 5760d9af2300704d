"""A workspace: the folder that holds one bank's warehouse and everything around it.

Layout::

    portrait.toml        settings (engine, memory limit, …)
    warehouse.duckdb     the canonical tables
    keys/workspace.key   the 256-bit key that protects PII (or $PORTRAIT_KEY)
    quarantine/          rejected rows, one Parquet file per table
    models/  reports/    written by later steps
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portrait.errors import ConfigError, NotFoundError
from portrait.store import crypto
from portrait.store.engine import Engine, open_engine

HOME_ENV = "PORTRAIT_HOME"
DEFAULT_DIR = "portrait-workspace"
CONFIG_FILE = "portrait.toml"
KEY_FILE = Path("keys") / "workspace.key"

_DEFAULT_CONFIG = """\
# Portrait workspace settings.
[warehouse]
engine = "duckdb"
# DuckDB spills to disk beyond this; keep it below the machine's memory.
memory_limit = "6GB"
"""


def default_path() -> Path:
    """The workspace folder used when none is named: ``$PORTRAIT_HOME`` or ./portrait-workspace."""
    return Path(os.environ.get(HOME_ENV) or DEFAULT_DIR)


@dataclass
class Workspace:
    """An opened workspace folder."""

    root: Path
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def warehouse_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def key_path(self) -> Path:
        return self.root / KEY_FILE

    def cipher(self) -> crypto.FieldCipher:
        return crypto.FieldCipher(crypto.load_key(self.key_path))

    def engine(self, name: str | None = None) -> Engine:
        """Open the warehouse with the configured engine (or ``name``)."""
        wh = dict(self.config.get("warehouse", {}))
        engine = open_engine(name or str(wh.pop("engine", "duckdb")), self.warehouse_path, wh)
        engine.ensure_canonical_tables()
        return engine


def init_workspace(root: Path) -> Workspace:
    """Create the workspace folder, its settings and its key if they do not exist yet."""
    root.mkdir(parents=True, exist_ok=True)
    for sub in ("quarantine", "models", "reports", "keys"):
        (root / sub).mkdir(exist_ok=True)
    cfg = root / CONFIG_FILE
    if not cfg.exists():
        cfg.write_text(_DEFAULT_CONFIG, encoding="utf-8")
    key = root / KEY_FILE
    if not key.exists() and not os.environ.get(crypto.KEY_ENV):
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(crypto.encode_key(crypto.new_key()))
    return open_workspace(root)


def open_workspace(root: Path) -> Workspace:
    """Open an existing workspace.

    Raises:
        NotFoundError: The folder is not a workspace.
        ConfigError: Its settings file cannot be read.
    """
    cfg = root / CONFIG_FILE
    if not cfg.exists():
        raise NotFoundError(
            f"No Portrait workspace at {root} ({CONFIG_FILE} not found).",
            hint="Run `portrait init` (or `portrait demo`), or pass --workspace.",
        )
    try:
        config = tomllib.loads(cfg.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{cfg} is not valid TOML: {exc}") from exc
    return Workspace(root=root, config=config)
