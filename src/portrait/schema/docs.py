"""``docs/data-model.md`` generated from the schema, so the two never disagree."""

from __future__ import annotations

from portrait.schema.tables import TABLES
from portrait.schema.types import SQL_TYPES, Column

_HEADER = """\
# Canonical data model

Generated from `src/portrait/schema/` by `portrait schema docs`; do not edit by hand
(a test fails when this file and the schema disagree).

Every source is mapped onto these tables. Identifiers are text. Amounts are signed
decimals (credits positive). Columns marked **PII** are never stored in clear: the
warehouse keeps AES-256-GCM ciphertext in the column and a keyed HMAC token in
`<column>_token` for joins and de-duplication. Each table's rows are validated against
the types, required values, allowed values, ranges, keys and references below; a row
that fails goes to `quarantine/<table>.parquet` with its source file, row, field and
reason.
"""


def _rules(col: Column) -> str:
    parts: list[str] = []
    if col.enum:
        parts.append("one of " + ", ".join(f"`{v}`" for v in col.enum))
    if col.min is not None:
        parts.append(f"≥ {col.min}")
    if col.max is not None:
        parts.append(f"≤ {col.max}")
    if col.pii:
        parts.append("**PII**: encrypted, token in `" + col.token_column + "`")
    return "; ".join(parts)


def render() -> str:
    """The data model as Markdown."""
    out = [_HEADER]
    for table in TABLES:
        out.append(f"\n## `{table.name}`\n\n{table.description}\n")
        out.append(f"Key: {', '.join(f'`{k}`' for k in table.key)}.")
        if table.references:
            refs = ", ".join(f"`{r.column}` → `{r.table}.{r.target}`" for r in table.references)
            out.append(f" References: {refs}.")
        out.append("\n\n| column | type | required | meaning | rules |\n|---|---|---|---|---|\n")
        for col in table.columns:
            out.append(f"| `{col.name}` | {col.type.value} ({SQL_TYPES[col.type]}) | "
                       f"{'yes' if col.required else ''} | {col.description} | {_rules(col)} |\n")
    return "".join(out)
