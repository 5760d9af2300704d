"""The warehouse: engines behind one protocol, the physical layout, workspaces, PII protection."""

from __future__ import annotations

from portrait.store import duckdb_engine as _duckdb_engine  # registers "duckdb"
from portrait.store import spark_engine as _spark_engine  # registers "spark" (PySpark loads on open)
from portrait.store.engine import Engine, PublishItem, engine_names, open_engine
from portrait.store.workspace import Workspace, default_path, init_workspace, open_workspace

__all__ = [
    "Engine",
    "PublishItem",
    "Workspace",
    "default_path",
    "engine_names",
    "init_workspace",
    "open_engine",
    "open_workspace",
]
del _duckdb_engine, _spark_engine
