"""Building blocks of the canonical data model: column and table specifications."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ColumnType(StrEnum):
    """Logical column types; each engine maps them to its own SQL types."""

    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    MONEY = "money"
    DATE = "date"
    TIMESTAMP = "timestamp"
    BOOLEAN = "boolean"
    JSON = "json"


#: SQL type used for each logical type in the warehouse (DuckDB dialect names).
SQL_TYPES: dict[ColumnType, str] = {
    ColumnType.STRING: "VARCHAR",
    ColumnType.INTEGER: "BIGINT",
    ColumnType.FLOAT: "DOUBLE",
    ColumnType.MONEY: "DECIMAL(18,2)",
    ColumnType.DATE: "DATE",
    ColumnType.TIMESTAMP: "TIMESTAMP",
    ColumnType.BOOLEAN: "BOOLEAN",
    ColumnType.JSON: "JSON",
}


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    Attributes:
        name: Column name, snake_case.
        type: Logical type.
        required: A row without a value here is rejected.
        description: What the column means, in one line.
        enum: Allowed values (for string columns), in their natural order.
        min: Smallest allowed value (numbers, or ISO dates for date columns).
        max: Largest allowed value.
        pii: Personal data: stored encrypted, with a keyed token for joins.
    """

    name: str
    type: ColumnType
    required: bool = False
    description: str = ""
    enum: tuple[str, ...] | None = None
    min: float | str | None = None
    max: float | str | None = None
    pii: bool = False

    @property
    def token_column(self) -> str:
        """Name of the keyed-token column stored beside a PII column."""
        return f"{self.name}_token"


@dataclass(frozen=True)
class ForeignKey:
    """Rows of this table must reference an existing row of another table."""

    column: str
    table: str
    target: str


@dataclass(frozen=True)
class Table:
    """A canonical table: its columns, primary key and references."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: tuple[ForeignKey, ...] = field(default=())
    #: Portrait writes this table itself (campaign contacts, responses): no rows means
    #: nothing happened, not that a source lacks the data.
    recorded_here: bool = False

    def column(self, name: str) -> Column:
        """Return the column called ``name``.

        Raises:
            KeyError: There is no such column.
        """
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def pii_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.pii)
