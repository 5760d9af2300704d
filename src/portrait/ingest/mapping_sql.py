"""Compiling a mapping, bound to a file's header, into staging SQL (sqlglot trees).

The source rows are first cleaned and typed once (``staging.raw_csv_rows``, alias
``s``): each used column trimmed, null texts turned to NULL, declared types converted
with the raw text kept beside them to explain a failure. Each table is then one
``SELECT`` over those rows: canonical columns as text (the pipeline casts and
validates them), ``attributes`` as JSON text, and ``_reject_field``/``_reject_reason``
for every value the mapping could not translate: an unmapped code, a value that does
not convert. Nothing is pasted into SQL as text: user expressions are parsed trees
whose column references are rebuilt here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import reduce

from sqlglot import exp

from portrait.ingest.base import REJECT_FIELD, REJECT_REASON, SOURCE_FILE, SOURCE_ROW
from portrait.ingest.mapping import (
    ROW,
    MappingSpec,
    Scalar,
    SourceColumn,
    TableSpec,
    ValueSpec,
    template_parts,
)
from portrait.ingest.sqlexpr import parse_scalar
from portrait.schema import SQL_TYPES, ColumnType
from portrait.store import layout

#: Staged text of the used source columns, as the reader wrote it.
RAW = "raw_csv"
#: The same rows cleaned and typed, which every table selects from.
ROWS = "raw_csv_rows"
_S = "s"
_MAP_PREVIEW = 12


@dataclass(frozen=True)
class Check:
    """Rows where ``fails`` holds are rejected with ``reason`` on ``field``."""

    field: str
    fails: exp.Expr
    reason: exp.Expr


def _text(node: exp.Expr) -> exp.Expr:
    return exp.cast(node, "VARCHAR")


def _concat(*parts: exp.Expr | str) -> exp.Expr:
    return exp.Concat(expressions=[exp.Literal.string(p) if isinstance(p, str) else p
                                   for p in parts], safe=True)


def _sql_type(name: str) -> exp.DataType:
    return exp.DataType.build(SQL_TYPES[ColumnType(name)], dialect="duckdb")


def _literal(value: Scalar) -> exp.Expr:
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(value)


def _constant_text(value: Scalar | dict[str, Scalar]) -> exp.Expr:
    if value is None:
        return exp.cast(exp.null(), "VARCHAR")
    if isinstance(value, dict):
        return exp.Literal.string(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    if isinstance(value, bool):
        return exp.Literal.string(str(value).lower())
    return exp.Literal.string(str(value))


def _is_set(node: exp.Expr) -> exp.Expr:
    return node.is_(exp.null()).not_()


@dataclass
class Compiler:
    """Turns a bound mapping into sqlglot trees over ``staging.raw_csv_rows`` (alias ``s``).

    Attributes:
        spec: The mapping.
        names: Source column as written in the mapping → header name.
        used: Header names staged, in order.
        touched: Header names read by what was compiled since the last reset (to know
            which declared-type conversions a table depends on).
    """

    spec: MappingSpec
    names: dict[str, str]
    used: list[str]
    touched: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.types: dict[str, SourceColumn] = {
            self.names[k]: v for k, v in self.spec.source.columns.items() if v.type != "string"}
        self.raw = {h: f"__raw{i}" for i, h in enumerate(self.used) if h in self.types}

    # -- source rows: cleaned and typed once

    def _clean(self, column: exp.Expr) -> exp.Expr:
        trimmed = exp.func("trim", column)
        nulls = [exp.Literal.string(v) for v in dict.fromkeys(["", *self.spec.source.null_values])]
        return exp.Case(ifs=[exp.If(this=trimmed.isin(*nulls), true=exp.null())],
                        default=trimmed.copy())

    def _convert(self, text: exp.Expr, decl: SourceColumn) -> exp.Expr:
        source = self.spec.source
        if decl.type in ("integer", "float", "money"):
            if source.thousands_separator:
                text = exp.func("replace", text, exp.Literal.string(source.thousands_separator),
                                exp.Literal.string(""))
            if source.decimal_separator != ".":
                text = exp.func("replace", text, exp.Literal.string(source.decimal_separator),
                                exp.Literal.string("."))
        elif decl.format is not None:
            text = exp.Anonymous(this="try_strptime",
                                 expressions=[text, exp.Literal.string(decl.format)])
        return exp.TryCast(this=text, to=_sql_type(decl.type))

    def rows_select(self) -> exp.Select:
        """Source rows with the used columns cleaned (and typed where declared)."""
        projections: list[exp.Expr] = [
            exp.column(SOURCE_FILE), exp.column(SOURCE_ROW),
            exp.alias_(exp.Sub(this=exp.column(SOURCE_ROW), expression=exp.Literal.number(1)),
                       ROW),
        ]
        for header in self.used:
            clean = self._clean(exp.column(header, quoted=True))
            decl = self.types.get(header)
            if decl is None:
                projections.append(exp.alias_(clean, header, quoted=True))
            else:
                projections.append(exp.alias_(clean, self.raw[header]))
                projections.append(exp.alias_(self._convert(clean.copy(), decl), header,
                                              quoted=True))
        return exp.select(*projections).from_(exp.to_table(f"{layout.STAGING}.{RAW}"))

    def source(self) -> exp.Expr:
        return exp.alias_(exp.to_table(f"{layout.STAGING}.{ROWS}"), _S, table=True)

    # -- values

    def column(self, name: str) -> exp.Column:
        if name == ROW:
            return exp.column(ROW, table=_S)
        header = self.names[name]
        self.touched.append(header)
        return exp.column(header, table=_S, quoted=True)

    def expression(self, text: str) -> exp.Expr:
        """A user expression rebuilt over the source rows (columns resolved to the header)."""
        def resolve(node: exp.Expr) -> exp.Expr:
            return self.column(node.name) if isinstance(node, exp.Column) else node

        return exp.Paren(this=parse_scalar(text).transform(resolve))

    def value(self, vspec: ValueSpec) -> exp.Expr:
        if vspec.from_ is not None:
            return self.column(vspec.from_)
        if vspec.expr is not None:
            return self.expression(vspec.expr)
        if vspec.template is not None:
            parts: list[exp.Expr] = []
            for literal, name in template_parts(vspec.template):
                if literal:
                    parts.append(exp.Literal.string(literal))
                if name:
                    parts.append(_text(self.column(name)))
            # || yields NULL when a field is missing, so no half-built id gets through.
            return reduce(lambda a, b: exp.DPipe(this=a, expression=b), parts)
        return _literal(vspec.value)

    def output(self, vspec: ValueSpec, field_name: str) -> tuple[exp.Expr, list[Check]]:
        """The value after ``map`` and ``type``, with the checks that reject failures."""
        out = self.value(vspec)
        checks: list[Check] = []
        if vspec.map is not None:
            text = _text(out)
            keys = sorted(vspec.map)
            mapped = exp.Case(this=text.copy(), ifs=[
                exp.If(this=exp.Literal.string(k), true=_literal(vspec.map[k])) for k in keys],
                default=_literal(vspec.map_default))
            if vspec.map_default is None:
                what = {"from": vspec.from_, "expr": "expr", "template": "template"}.get(
                    vspec.kind, "value")
                shown = ", ".join(keys[:_MAP_PREVIEW]) + (", …" if len(keys) > _MAP_PREVIEW else "")
                checks.append(Check(
                    field_name,
                    exp.and_(_is_set(out.copy()), exp.not_(text.copy().isin(
                        *[exp.Literal.string(k) for k in keys]))),
                    _concat(f"no mapping for {what} value '", text.copy(),
                            f"' (the map has: {shown}; extend the map or set map_default)"),
                ))
            out = mapped
        if vspec.type is not None and vspec.type != "string":
            typed = exp.TryCast(this=out, to=_sql_type(vspec.type))
            checks.append(Check(
                field_name,
                exp.and_(_is_set(out.copy()), typed.copy().is_(exp.null())),
                _concat(f"not a valid {vspec.type}: '", _text(out.copy()), "'"),
            ))
            out = typed
        return out, checks

    def _conversion_checks(self, headers: list[str]) -> list[Check]:
        checks = []
        for header in dict.fromkeys(headers):
            if header in self.raw:
                raw = exp.column(self.raw[header], table=_S)
                checks.append(Check(
                    header,
                    exp.and_(_is_set(raw), exp.column(header, table=_S, quoted=True).is_(exp.null())),
                    _concat(f"{header}: not a valid {self.types[header].type}: '", raw.copy(), "'"),
                ))
        return checks

    # -- tables

    def table_select(self, tspec: TableSpec) -> exp.Select:
        """``staging.<table>`` rows computed from the file's rows."""
        self.touched = []
        projections: list[exp.Expr] = [exp.column(SOURCE_FILE, table=_S),
                                       exp.column(SOURCE_ROW, table=_S)]
        checks: list[Check] = []
        for cname, vspec in tspec.columns.items():
            out, more = self.output(vspec, cname)
            projections.append(exp.alias_(_text(out), cname))
            checks += more
        if tspec.attributes:
            pairs: list[exp.Expr] = []
            for attr in tspec.attributes:
                out, more = self.output(attr, f"attributes.{attr.key}")
                pairs += [exp.Literal.string(attr.key), out]
                checks += more
            projections.append(exp.alias_(_text(exp.func("json_object", *pairs)), "attributes"))
        value_columns = self.touched
        where: exp.Expr | None = None
        if tspec.where is not None:
            self.touched = []
            condition = self.expression(tspec.where)
            # A row whose filter column does not convert is kept so its rejection is seen.
            failed = [c.fails for c in self._conversion_checks(self.touched)]
            where = exp.or_(condition, *failed) if failed else condition
            value_columns += self.touched
        checks = self._conversion_checks(value_columns) + checks
        projections += self._reject_columns(checks)
        select = exp.select(*projections).from_(self.source())
        if where is not None:
            select = select.where(where)
        if tspec.distinct:
            keep = [p.alias_or_name for p in projections[2:]]
            select = exp.select(
                exp.alias_(exp.func("min", exp.column(SOURCE_FILE)), SOURCE_FILE),
                exp.alias_(exp.func("min", exp.column(SOURCE_ROW)), SOURCE_ROW),
                *[exp.column(c) for c in keep],
            ).from_(select.subquery("t")).group_by(*[exp.column(c) for c in keep])
        return select

    @staticmethod
    def _reject_columns(checks: list[Check]) -> list[exp.Expr]:
        if not checks:
            return [exp.alias_(exp.cast(exp.null(), "VARCHAR"), REJECT_FIELD),
                    exp.alias_(exp.cast(exp.null(), "VARCHAR"), REJECT_REASON)]
        first = exp.Case(ifs=[exp.If(this=c.fails, true=exp.Literal.string(c.field))
                              for c in checks])
        reasons = [exp.Case(ifs=[exp.If(this=c.fails.copy(), true=c.reason)]) for c in checks]
        # DuckDB's concat_ws skips NULLs; sqlglot's ConcatWs would rewrite it to NULL-on-any.
        joined = exp.func("nullif", exp.Anonymous(
            this="concat_ws", expressions=[exp.Literal.string("; "), *reasons]),
            exp.Literal.string(""))
        return [exp.alias_(first, REJECT_FIELD), exp.alias_(joined, REJECT_REASON)]

    def constant_select(self, tname: str, tspec: TableSpec) -> exp.Select:
        """``staging.<table>`` rows given as constants in the mapping (a product catalog)."""
        rows = tspec.rows or []
        columns = list(dict.fromkeys(c for row in rows for c in row))
        origin = str(self.spec.path or self.spec.label) + f"#tables.{tname}.rows"
        values = [exp.Tuple(expressions=[exp.Literal.string(origin), exp.Literal.number(i),
                                         *[_constant_text(row.get(c)) for c in columns]])
                  for i, row in enumerate(rows, start=1)]
        names = [SOURCE_FILE, SOURCE_ROW, *columns]
        return exp.select(*[exp.column(n) for n in names]).from_(
            exp.Values(expressions=values, alias=exp.TableAlias(
                this=exp.to_identifier("r"), columns=[exp.to_identifier(n) for n in names])))
