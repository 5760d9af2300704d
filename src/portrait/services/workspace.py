"""Opening and creating workspaces, and reading their state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portrait.schema import TABLES
from portrait.store import Workspace, default_path, init_workspace, open_workspace
from portrait.store.layout import RUNS_TABLE


def resolve(path: Path | None) -> Path:
    """The workspace folder named on the command line, or the default one."""
    return path if path is not None else default_path()


def init(path: Path | None) -> Workspace:
    """Create (or reuse) the workspace folder with its settings and key."""
    return init_workspace(resolve(path))


def open_(path: Path | None) -> Workspace:
    """Open an existing workspace."""
    return open_workspace(resolve(path))


def open_or_init(path: Path | None) -> Workspace:
    """Open the workspace, creating it first if the folder is not one yet."""
    root = resolve(path)
    return open_workspace(root) if (root / "portrait.toml").exists() else init_workspace(root)


@dataclass
class Status:
    workspace: str
    tables: dict[str, int]
    default_as_of: str | None
    runs: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"workspace": self.workspace, "tables": self.tables,
                "default_as_of": self.default_as_of, "runs": self.runs}


def status(path: Path | None) -> Status:
    """Row counts, default as-of date and the latest ingest runs of a workspace."""
    ws = open_(path)
    engine = ws.engine()
    try:
        counts = {t.name: int(engine.query(f"SELECT count(*) FROM main.{t.name}")[0][0])
                  for t in TABLES}
        runs = [
            {"run_id": r[0], "source": r[1], "finished_at": r[2].isoformat(timespec="seconds")}
            for r in engine.query(f"SELECT run_id, source, finished_at FROM main.{RUNS_TABLE} "
                                  "ORDER BY finished_at DESC LIMIT 10")
        ]
        return Status(str(ws.root), counts, engine.get_meta("default_as_of"), runs)
    finally:
        engine.close()
