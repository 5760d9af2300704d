"""The canonical data model: one source of truth for ingest, tags and docs."""

from __future__ import annotations

from portrait.errors import NotFoundError
from portrait.schema.tables import TABLES
from portrait.schema.types import SQL_TYPES, Column, ColumnType, ForeignKey, Table

__all__ = ["SQL_TYPES", "TABLES", "Column", "ColumnType", "ForeignKey", "Table", "table"]

_BY_NAME = {t.name: t for t in TABLES}


def table(name: str) -> Table:
    """Return the canonical table called ``name``.

    Raises:
        NotFoundError: No canonical table has that name.
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, _BY_NAME, n=1)
        hint = f"Did you mean {close[0]!r}?" if close else f"Tables: {', '.join(_BY_NAME)}"
        raise NotFoundError(f"Unknown table {name!r}.", hint=hint) from None
