"""Reading delimited text files into staging with DuckDB's CSV reader.

Whole-file problems (missing file, wrong delimiter, missing columns, bad encoding) raise
one :class:`SourceFormatError` naming the file. Malformed lines (too many or too few
fields, broken quoting) go to quarantine with their line number; every other line is
staged as text with its line number, for the schema checks that follow.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from collections.abc import Sequence
from pathlib import Path

import duckdb
from sqlglot import exp

from portrait.errors import SourceFormatError
from portrait.ingest.base import REJECTS, SOURCE_FILE, SOURCE_ROW
from portrait.store.duckdb_engine import DuckDBEngine

SAMPLE_BYTES = 1 << 20
_DELIMITERS = (",", ";", "\t", "|")


def sample_bytes(path: Path) -> bytes:
    """The first MiB of a file (decompressed if ``.gz``), for encoding and header checks."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            return bytes(fh.read(SAMPLE_BYTES))
    except (OSError, EOFError) as exc:
        raise SourceFormatError(f"{path}: cannot read the file ({exc}).") from exc


def check_encoding(path: Path, sample: bytes, encoding: str) -> str:
    """Decode the sample, or raise naming the first undecodable byte."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        # A truncated sample may end mid-character; only the bytes before matter.
        return decoder.decode(sample, final=len(sample) < SAMPLE_BYTES)
    except UnicodeDecodeError as exc:
        raise SourceFormatError(
            f"{path}: not valid {encoding} text (byte 0x{sample[exc.start]:02x} at offset "
            f"{exc.start}).",
            hint="State the file's encoding (e.g. `encoding: latin-1` in the mapping file).",
        ) from exc
    except LookupError as exc:
        raise SourceFormatError(f"{path}: unknown encoding {encoding!r}.") from exc


def header_of(path: Path, text: str, delimiter: str, quote: str) -> list[str]:
    """The header row of a delimited file, as a list of names."""
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    if not first:
        raise SourceFormatError(f"{path}: the file is empty (no header row).")
    return [h.strip() for h in next(csv.reader(io.StringIO(first), delimiter=delimiter,
                                               quotechar=quote or '"'))]


def sniff_delimiter(header_line: str) -> str | None:
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None


def read_delimited(
    engine: DuckDBEngine,
    path: Path,
    *,
    staging_name: str,
    table: str,
    columns: Sequence[str],
    delimiter: str = ",",
    quote: str = '"',
    encoding: str = "utf-8",
) -> int:
    """Stage a delimited file as text columns ``columns`` plus line numbers.

    Args:
        engine: Warehouse whose staging schema receives the rows.
        path: The file (``.gz`` is decompressed on the fly).
        staging_name: Name of the staging table to create (``staging.<name>``).
        table: Canonical table the rows feed, for quarantining malformed lines.
        columns: Columns the header must contain; others are ignored.
        delimiter: Field separator.
        quote: Quote character.
        encoding: Text encoding.

    Returns:
        Number of lines staged.

    Raises:
        SourceFormatError: The file as a whole cannot be read as specified.
    """
    if not path.is_file():
        raise SourceFormatError(f"{path}: file not found.")
    text = check_encoding(path, sample_bytes(path), encoding)
    header = header_of(path, text, delimiter, quote)
    missing = [c for c in columns if c not in header]
    if missing:
        guess = sniff_delimiter(text.splitlines()[0])
        hint = None
        if len(header) == 1 and guess and guess != delimiter:
            hint = f"The header looks {guess!r}-separated, not {delimiter!r}-separated."
        raise SourceFormatError(
            f"{path}: missing column(s) {', '.join(missing)} (header has: "
            f"{', '.join(header)[:300]}).",
            hint=hint,
        )
    con = engine.connection
    options = {
        "delim": delimiter,
        "quote": quote,
        "header": True,
        "all_varchar": True,
        "store_rejects": True,
        "rejects_table": "__portrait_reject_errors",
        "rejects_scan": "__portrait_reject_scans",
        "encoding": encoding.replace("_", "-").lower(),
    }
    args = ", ".join(f"{k} := ?" for k in options)
    source = f"read_csv(?, {args})"
    staged = exp.to_table(f"staging.{staging_name}").sql("duckdb")
    quoted = [exp.to_identifier(c, quoted=True).sql("duckdb") for c in columns]
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE __portrait_raw AS "
            f"SELECT row_number() OVER () AS _ord, {', '.join(quoted)} FROM {source}",
            [str(path), *options.values()],
        )
        # Accepted lines skip over rejected ones: the k-th accepted line comes after
        # every rejected line m whose line number r_m satisfies r_m - m - 1 < k.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE __portrait_thresholds AS "
            "SELECT line - row_number() OVER (ORDER BY line) - 1 AS t, "
            "row_number() OVER (ORDER BY line) AS m "
            "FROM (SELECT DISTINCT line FROM __portrait_reject_errors)"
        )
        con.execute(
            f"CREATE OR REPLACE TABLE {staged} AS SELECT ? AS {SOURCE_FILE}, "
            f"r._ord + 1 + coalesce(th.m, 0) AS {SOURCE_ROW}, {', '.join('r.' + q for q in quoted)} "
            "FROM __portrait_raw r ASOF LEFT JOIN __portrait_thresholds th ON r._ord > th.t "
            "ORDER BY r._ord",
            [str(path)],
        )
        con.execute(
            f"INSERT INTO {REJECTS} SELECT ?, NULL, ?, line, column_name, "
            "'malformed line: ' || error_type || ' (' || error_message || ')', "
            "to_json({'line': csv_line}) FROM __portrait_reject_errors "
            "QUALIFY row_number() OVER (PARTITION BY line ORDER BY column_idx) = 1",
            [table, str(path)],
        )
        rows = con.execute(f"SELECT count(*) FROM {staged}").fetchone()
    except duckdb.Error as exc:
        raise SourceFormatError(f"{path}: cannot be read as {delimiter!r}-separated text: {exc}") from exc
    finally:
        for name in ("__portrait_raw", "__portrait_thresholds", "__portrait_reject_errors",
                     "__portrait_reject_scans"):
            con.execute(f"DROP TABLE IF EXISTS {name}")
    return int(rows[0]) if rows else 0
