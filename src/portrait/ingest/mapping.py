"""The mapping-file format: how a bank's own delimited extract maps onto canonical tables.

These pydantic models are the *parsed* stage of a mapping (``extra="forbid"``): they
fix the shapes, parse SQL expressions and check them to be safe scalars
(:mod:`portrait.ingest.sqlexpr`), and validate templates. Reading the YAML and the
checks against the canonical schema live in :mod:`portrait.ingest.mapping_load`;
binding to a file's header and compiling to SQL in :mod:`portrait.ingest.csvmap` and
:mod:`portrait.ingest.mapping_sql`. The format is documented for people in
``docs/mapping-files.md``.
"""

from __future__ import annotations

import codecs
import string
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from portrait.ingest.sqlexpr import parse_scalar

#: Name that stands for the source row number (1 = first data row) in templates and SQL.
ROW = "_row"

TypeName = Literal["string", "integer", "float", "money", "date", "timestamp", "boolean"]
Scalar = str | int | float | bool | None


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceColumn(_Spec):
    """Declared type of a source column; a value that does not convert rejects its row.

    Written as the type name alone (``Age: integer``) or with a ``format`` for dates
    (``OpenDate: {type: date, format: "%d/%m/%Y"}``, strptime codes).
    """

    type: TypeName
    format: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"type": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _format_only_for_dates(self) -> SourceColumn:
        if self.format is not None and self.type not in ("date", "timestamp"):
            raise ValueError("`format` applies to date and timestamp columns only")
        return self


class SourceSpec(_Spec):
    """How to read the file.

    Attributes:
        description: What the extract is, for people reading the mapping.
        delimiter: One character, ``tab``, or ``auto`` (guessed from the header line).
        quote: Quote character.
        encoding: Text encoding (any Python codec name; ``latin-1``, ``cp1252``, ``gbk``…).
        null_values: Texts that mean "no value" besides the empty field (``NA``, ``?``).
        decimal_separator: ``.`` or ``,`` in numbers of declared numeric columns.
        thousands_separator: Grouping character to drop from those numbers, if any.
        columns: Types of source columns that are not text (see :class:`SourceColumn`).
    """

    description: str | None = None
    delimiter: str = "auto"
    quote: str = '"'
    encoding: str = "utf-8"
    null_values: list[str] = Field(default_factory=list)
    decimal_separator: Literal[".", ","] = "."
    thousands_separator: Literal[",", ".", " ", "'", "_"] | None = None
    columns: dict[str, SourceColumn] = Field(default_factory=dict)

    @field_validator("delimiter")
    @classmethod
    def _delimiter(cls, value: str) -> str:
        value = {"tab": "\t", "\\t": "\t"}.get(value, value)
        if value != "auto" and (len(value) != 1 or value in "\r\n"):
            raise ValueError("must be one character, `tab` or `auto`")
        return value

    @field_validator("quote")
    @classmethod
    def _quote(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError("must be one character")
        return value

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}") from None
        return value

    @model_validator(mode="after")
    def _separators_differ(self) -> SourceSpec:
        if self.thousands_separator == self.decimal_separator:
            raise ValueError("thousands_separator and decimal_separator must differ")
        if self.delimiter == self.quote:
            raise ValueError("delimiter and quote must differ")
        return self


def _map_text(value: Any, where: str) -> str:
    """A map key or value as the text it stands for (numbers as written, never booleans)."""
    if isinstance(value, bool):
        raise ValueError(f"{where} {value!r} is a boolean: quote it ('{str(value).lower()}')")
    if isinstance(value, int | float | str):
        return str(value)
    raise ValueError(f"{where} must be a single value, not {type(value).__name__}")


class ValueSpec(_Spec):
    """How one output value is computed from a source row.

    Exactly one of ``from`` (a source column), ``expr`` (a SQL expression over source
    columns), ``value`` (a constant) or ``template`` (text with ``{column}`` fields) is
    given; a bare string is short for ``{from: <string>}``. ``map`` then translates the
    value (compared as text); a value missing from the map rejects the row unless
    ``map_default`` is given. ``type`` converts the result, rejecting values that do not
    convert.
    """

    from_: str | None = Field(default=None, alias="from")
    expr: str | None = None
    value: Scalar = None
    template: str | None = None
    map: dict[str, str | None] | None = None
    map_default: str | None = None
    type: TypeName | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"from": data} if isinstance(data, str) else data

    @field_validator("map", mode="before")
    @classmethod
    def _map_as_text(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {_map_text(k, "key"): None if v is None else _map_text(v, "value")
                for k, v in value.items()}

    @field_validator("map_default", mode="before")
    @classmethod
    def _default_as_text(cls, value: Any) -> Any:
        return None if value is None else _map_text(value, "map_default")

    @field_validator("expr")
    @classmethod
    def _safe_expr(cls, value: str | None) -> str | None:
        if value is not None:
            parse_scalar(value)
        return value

    @field_validator("template")
    @classmethod
    def _valid_template(cls, value: str | None) -> str | None:
        if value is not None:
            template_parts(value)
        return value

    @model_validator(mode="after")
    def _one_source(self) -> ValueSpec:
        given = [k for k in ("from_", "expr", "value", "template") if k in self.model_fields_set]
        if len(given) != 1:
            names = ", ".join(("from" if k == "from_" else k) for k in given) or "none"
            raise ValueError(f"give exactly one of from, expr, value, template (got: {names})")
        if self.map_default is not None and self.map is None:
            raise ValueError("map_default needs a map")
        return self

    @property
    def kind(self) -> str:
        """Which of ``from``/``expr``/``value``/``template`` computes the value."""
        for key in ("from_", "expr", "template"):
            if key in self.model_fields_set:
                return key.rstrip("_")
        return "value"


class AttributeSpec(ValueSpec):
    """One entry of a table's JSON ``attributes``: a value plus the key it is stored under.

    ``name`` defaults to the source column for ``from``; a bare string is that column.
    """

    name: str | None = None

    @model_validator(mode="after")
    def _named(self) -> AttributeSpec:
        if self.name is None and self.from_ is None:
            raise ValueError("an attribute computed with expr, value or template needs a name")
        return self

    @property
    def key(self) -> str:
        return self.name or self.from_ or ""


class TableSpec(_Spec):
    """How one canonical table is filled: from the file's rows, or from constant rows.

    Attributes:
        columns: Canonical column → value spec.
        attributes: Values packed into the JSON ``attributes`` column (nothing is lost).
        where: SQL condition over source columns; only rows where it holds feed the table.
        distinct: Keep one row per distinct output (e.g. a catalog derived from the file).
        rows: Constant rows (canonical column → value) instead of the file's rows.
    """

    columns: dict[str, ValueSpec] = Field(default_factory=dict)
    attributes: list[AttributeSpec] = Field(default_factory=list)
    where: str | None = None
    distinct: bool = False
    rows: list[dict[str, Scalar | dict[str, Scalar]]] | None = None

    @field_validator("where")
    @classmethod
    def _safe_where(cls, value: str | None) -> str | None:
        if value is not None:
            parse_scalar(value)
        return value

    @model_validator(mode="after")
    def _rows_or_columns(self) -> TableSpec:
        if self.rows is not None:
            extra = [k for k in ("columns", "attributes", "where", "distinct")
                     if k in self.model_fields_set]
            if extra:
                raise ValueError(f"`rows` gives constant rows: drop {', '.join(extra)}")
            if not self.rows:
                raise ValueError("`rows` is empty")
        elif not self.columns:
            raise ValueError("give `columns` (from the file) or `rows` (constants)")
        return self


class MappingSpec(_Spec):
    """A whole mapping file: how to read the extract, and what each table gets."""

    version: Literal[1] = 1
    source: SourceSpec = Field(default_factory=SourceSpec)
    tables: dict[str, TableSpec]

    _label: str = PrivateAttr(default="<mapping>")
    _path: Path | None = PrivateAttr(default=None)

    @property
    def label(self) -> str:
        """How errors name this mapping (file name for shipped ones, else the path)."""
        return self._label

    @property
    def path(self) -> Path | None:
        """The mapping file it was read from."""
        return self._path

    def with_origin(self, label: str, path: Path) -> MappingSpec:
        """Record where the spec was read from, for error messages and row provenance."""
        self._label, self._path = label, path
        return self


def template_parts(template: str) -> list[tuple[str, str | None]]:
    """Split a template into (literal text, field name or None) pairs.

    Raises:
        ValueError: A field is empty, or uses a conversion or format spec.
    """
    parts: list[tuple[str, str | None]] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"bad template {template!r}: {exc} (write {{{{ and }}}} for braces)"
                         ) from None
    for literal, field, spec, conversion in parsed:
        if field is not None and not field.strip():
            raise ValueError(f"template {template!r} has an empty {{}} field")
        if spec or conversion:
            raise ValueError(f"template {template!r}: fields are plain column names "
                             "(no :format or !conversion)")
        parts.append((literal, field.strip() if field else None))
    if not any(f for _, f in parts):
        raise ValueError(f"template {template!r} has no {{column}} field: use `value`")
    return parts
