"""The ``csv`` source: a bank's own delimited extract, mapped by a mapping file.

``portrait ingest csv FILE --mapping M.yaml`` reads one delimited file and fills the
canonical tables the mapping names. The mapping passes through typed stages: YAML →
:class:`MappingSpec` checked against the schema (:mod:`portrait.ingest.mapping_load`)
→ bound to this file's header (here) → staging SQL (:mod:`portrait.ingest.mapping_sql`).
A run:

1. inspects the file: encoding (checked on a sample), delimiter (given, or guessed from
   the header), header; every source column the mapping uses must be in it;
2. stages the used columns as text with line numbers (:func:`read_delimited`, which
   quarantines malformed lines);
3. writes ``staging.<table>`` for each mapped table. The pipeline then validates types,
   enums, ranges and references, quarantines, protects PII and publishes.

The format is documented in ``docs/mapping-files.md``.
"""

from __future__ import annotations

import codecs
import difflib
import gzip
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlglot import exp

from portrait.errors import DefinitionError, SourceFormatError
from portrait.ingest.base import REJECTS, SOURCE_FILE, Progress, SourceSummary
from portrait.ingest.mapping import ROW, MappingSpec, TableSpec, ValueSpec, template_parts
from portrait.ingest.mapping_load import load_mapping, shipped_mappings
from portrait.ingest.mapping_sql import RAW, ROWS, Compiler
from portrait.ingest.reader import (
    SAMPLE_BYTES,
    check_encoding,
    header_of,
    read_delimited,
    sample_bytes,
    sniff_delimiter,
)
from portrait.ingest.sqlexpr import column_names, parse_scalar
from portrait.store import layout
from portrait.store.duckdb_engine import DuckDBEngine

__all__ = ["CsvAdapter", "MappingSpec", "load_mapping", "shipped_mappings"]

#: Python codec name → DuckDB's name, for the encodings DuckDB's CSV reader decodes
#: itself; any other encoding is transcoded to UTF-8 first.
_DUCKDB_ENCODINGS = {"utf-8": "utf-8", "iso8859-1": "latin-1", "utf-16": "utf-16"}


# ------------------------------------------------------------------ the source file


@dataclass(frozen=True)
class _File:
    """What inspecting the file found."""

    path: Path
    encoding: str
    delimiter: str
    detected: bool
    first_line: str
    header: list[str]


def _inspect(path: Path, spec: MappingSpec) -> _File:
    """Check the encoding on a sample, settle the delimiter and read the header."""
    if not path.is_file():
        raise SourceFormatError(f"{path}: file not found.")
    source = spec.source
    text = check_encoding(path, sample_bytes(path), source.encoding)
    lines = text.lstrip("\ufeff").splitlines()
    first = lines[0] if lines else ""
    delimiter, detected = source.delimiter, False
    if delimiter == "auto":
        delimiter, detected = sniff_delimiter(first) or ",", True
    header = header_of(path, text, delimiter, source.quote)
    return _File(path, source.encoding, delimiter, detected, first, header)


def _references(spec: MappingSpec) -> list[tuple[str, str]]:
    """(field path, source column as written) for every source column the mapping reads."""
    refs = [(f"source.columns.{name}", name) for name in spec.source.columns]
    for tname, tspec in spec.tables.items():
        for cname, vspec in tspec.columns.items():
            refs += _value_references(vspec, f"tables.{tname}.columns.{cname}")
        for i, attr in enumerate(tspec.attributes):
            refs += _value_references(attr, f"tables.{tname}.attributes[{i}]")
        if tspec.where is not None:
            refs += [(f"tables.{tname}.where", n) for n in column_names(parse_scalar(tspec.where))]
    return [(path, name) for path, name in refs if name != ROW]


def _value_references(vspec: ValueSpec, path: str) -> list[tuple[str, str]]:
    if vspec.from_ is not None:
        return [(f"{path}.from", vspec.from_)]
    if vspec.expr is not None:
        return [(f"{path}.expr", n) for n in column_names(parse_scalar(vspec.expr))]
    if vspec.template is not None:
        return [(f"{path}.template", f) for _, f in template_parts(vspec.template) if f]
    return []


def _bind(spec: MappingSpec, file: _File) -> dict[str, str]:
    """Resolve every source column the mapping names to a header name.

    Names match exactly, or else case-insensitively when that is unambiguous (as SQL
    identifiers do).

    Raises:
        SourceFormatError: Some names are not in the header; all of them are listed.
    """
    names: dict[str, str] = {}
    problems: list[str] = []
    for path, name in _references(spec):
        matches = [name] if name in file.header else [
            h for h in file.header if h.lower() == name.lower()]
        if len(matches) == 1:
            names[name] = matches[0]
            continue
        if matches:
            problems.append(f"{spec.label}: {path}: column {name!r} matches several header "
                            f"columns of {file.path} ({', '.join(matches)}): write it exactly")
            continue
        close = difflib.get_close_matches(name, file.header, n=1)
        problems.append(f"{spec.label}: {path}: column {name!r} is not in the header of "
                        f"{file.path}" + (f"; did you mean {close[0]!r}?" if close else ""))
    if problems:
        guess = sniff_delimiter(file.first_line)
        if len(file.header) == 1 and guess and guess != file.delimiter:
            hint = (f"The header looks {guess!r}-separated, not {file.delimiter!r}-separated: "
                    "set `source.delimiter` in the mapping (or `auto`).")
        else:
            hint = f"The header has: {', '.join(file.header)[:300]}."
        raise SourceFormatError("\n".join(problems), hint=hint)
    return names


@contextmanager
def _utf8_readable(file: _File) -> Iterator[tuple[Path, str]]:
    """The file and encoding to hand DuckDB: as is, or transcoded to UTF-8 in a temp folder."""
    native = _DUCKDB_ENCODINGS.get(codecs.lookup(file.encoding).name)
    if native is not None:
        yield file.path, native
        return
    with tempfile.TemporaryDirectory(prefix="portrait-csv-") as tmp:
        target = Path(tmp) / file.path.name.removesuffix(".gz")
        try:
            with target.open("w", encoding="utf-8", newline="") as dst:
                if file.path.suffix == ".gz":
                    with gzip.open(file.path, "rt", encoding=file.encoding, newline="") as gz:
                        shutil.copyfileobj(gz, dst, SAMPLE_BYTES)
                else:
                    with file.path.open(encoding=file.encoding, newline="") as src:
                        shutil.copyfileobj(src, dst, SAMPLE_BYTES)
        except UnicodeDecodeError as exc:
            raise SourceFormatError(
                f"{file.path}: not valid {file.encoding} text ({exc.reason}).",
                hint="State the file's encoding with `source.encoding` in the mapping.",
            ) from exc
        yield target, "utf-8"


# ------------------------------------------------------------------------- adapter


class CsvAdapter:
    """Reads one delimited extract and maps it onto the canonical tables.

    Args:
        file: The extract (``.gz`` is decompressed on the fly).
        mapping: A mapping file, or the name of a shipped mapping (``bank_marketing``).

    Raises:
        DefinitionError: The mapping is invalid (raised here, before any data is read).
    """

    name = "csv"

    def __init__(self, file: Path, mapping: Path | str) -> None:
        self.file = Path(file)
        self.mapping = load_mapping(mapping)

    def stage(self, engine: DuckDBEngine, progress: Progress) -> SourceSummary:
        """Write ``staging.<table>`` for every table of the mapping.

        Raises:
            SourceFormatError: The file cannot be read as the mapping says (missing file
                or columns, wrong delimiter, bad encoding).
            DefinitionError: An expression of the mapping fails on this file's values.
        """
        spec = self.mapping
        progress.start(f"Reading {self.file.name}", total=None)
        file = _inspect(self.file, spec)
        names = _bind(spec, file)
        used = list(dict.fromkeys(names.values())) or file.header[:1]
        from_file = [t for t, ts in spec.tables.items() if ts.rows is None]
        with _utf8_readable(file) as (readable, encoding):
            count = read_delimited(engine, readable, staging_name=RAW,
                                   table=(from_file or list(spec.tables))[0], columns=used,
                                   delimiter=file.delimiter, quote=spec.source.quote,
                                   encoding=encoding)
            if readable != self.file:
                _restore_file_name(engine, readable, self.file)
        compiler = Compiler(spec, names, used)
        engine.execute(_create(ROWS, compiler.rows_select()))
        progress.start("Mapping onto canonical tables", total=len(spec.tables))
        for tname, tspec in spec.tables.items():
            if tspec.rows is not None:
                engine.execute(_create(tname, compiler.constant_select(tname, tspec)))
            else:
                _probe_expressions(engine, compiler, tname, tspec)
                try:
                    engine.execute(_create(tname, compiler.table_select(tspec)))
                except duckdb.Error as exc:
                    raise DefinitionError(
                        f"{spec.label}: tables.{tname}: cannot be computed from {self.file}: "
                        f"{str(exc).splitlines()[0]}",
                        hint="Use TRY_CAST in expressions, or declare the column's type under "
                             "`source.columns` so values that do not convert are quarantined.",
                    ) from exc
            progress.advance()
        return self._summary(engine, spec, file, count)

    def _summary(self, engine: DuckDBEngine, spec: MappingSpec, file: _File, count: int
                 ) -> SourceSummary:
        summary = SourceSummary(self.name, files=[str(self.file)], tables=list(spec.tables))
        summary.records["rows"] = count
        malformed = engine.query(exp.select(exp.func("count", exp.Star())).from_(
            exp.to_table(REJECTS)).where(exp.and_(
                exp.column("_rid").is_(exp.null()),
                exp.EQ(this=exp.column("source_file"),
                       expression=exp.Literal.string(str(self.file))))))[0][0]
        about = f": {spec.source.description.strip()}" if spec.source.description else ""
        summary.notes.append(f"Mapping {spec.label}{about}")
        if file.detected:
            summary.notes.append(f"Delimiter {file.delimiter!r} detected from the header.")
        if malformed:
            summary.records["malformed_lines"] = int(malformed)
            summary.notes.append(f"{malformed} malformed line(s) quarantined.")
        return summary


def _create(name: str, select: exp.Select) -> exp.Create:
    return exp.Create(this=exp.to_table(f"{layout.STAGING}.{name}"), kind="TABLE",
                      expression=select)


def _restore_file_name(engine: DuckDBEngine, staged_from: Path, original: Path) -> None:
    """Name the original file, not its transcoded copy, in staged and rejected rows."""
    engine.execute(exp.update(f"{layout.STAGING}.{RAW}",
                              {SOURCE_FILE: exp.Literal.string(str(original))}))
    engine.execute(exp.update(REJECTS, {"source_file": exp.Literal.string(str(original))},
                              where=exp.EQ(this=exp.column("source_file"),
                                           expression=exp.Literal.string(str(staged_from)))))


def _probe_expressions(engine: DuckDBEngine, compiler: Compiler, tname: str, tspec: TableSpec
                       ) -> None:
    """Bind each user expression alone first, so a type error names its field.

    Raises:
        DefinitionError: DuckDB cannot bind the expression over the source columns.
    """
    label = compiler.spec.label
    items: list[tuple[str, str]] = [(f"tables.{tname}.columns.{c}.expr", v.expr)
                                    for c, v in tspec.columns.items() if v.expr is not None]
    items += [(f"tables.{tname}.attributes[{i}].expr", a.expr)
              for i, a in enumerate(tspec.attributes) if a.expr is not None]
    if tspec.where is not None:
        items.append((f"tables.{tname}.where", tspec.where))
    for path, text in items:
        probe = exp.select(compiler.expression(text)).from_(compiler.source()).limit(0)
        try:
            engine.execute(probe)
        except duckdb.Error as exc:
            raise DefinitionError(
                f"{label}: {path}: {str(exc).splitlines()[0]}",
                hint="Source columns are text unless declared under `source.columns` "
                     "(e.g. `Balance: money`); cast in the expression or declare the type.",
            ) from exc

