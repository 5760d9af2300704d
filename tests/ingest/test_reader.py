from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from portrait.errors import SourceFormatError
from portrait.ingest.base import REJECTS
from portrait.ingest.quarantine import REJECTS_COLUMNS
from portrait.ingest.reader import read_delimited
from portrait.store import layout
from portrait.store.duckdb_engine import DuckDBEngine


@pytest.fixture
def engine(tmp_path: Path) -> DuckDBEngine:
    eng = DuckDBEngine(tmp_path / "w.duckdb", {})
    eng.reset_staging()
    eng.execute(layout.create_table("_rejects", REJECTS_COLUMNS, db_schema=layout.STAGING))
    return eng


def _read(engine: DuckDBEngine, path: Path, **kw: object) -> int:
    return read_delimited(engine, path, staging_name="raw", table="things",
                          columns=("id", "name"), **kw)  # type: ignore[arg-type]


def test_lines_keep_their_numbers_around_malformed_ones(engine: DuckDBEngine, tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text("id;name\n1;a\n2;b;extra\n3;c\n4\n5;e\n", encoding="utf-8")
    assert _read(engine, f, delimiter=";") == 3
    staged = engine.query("SELECT _source_row, id, name FROM staging.raw ORDER BY 1")
    assert staged == [(2, "1", "a"), (4, "3", "c"), (6, "5", "e")]
    rejects = engine.query(f"SELECT tbl, source_row, reason FROM {REJECTS} ORDER BY 2")
    assert [(t, r) for t, r, _ in rejects] == [("things", 3), ("things", 5)]
    assert "TOO MANY COLUMNS" in rejects[0][2]
    assert "MISSING COLUMNS" in rejects[1][2]


def test_gzipped_file(engine: DuckDBEngine, tmp_path: Path) -> None:
    f = tmp_path / "t.csv.gz"
    with gzip.open(f, "wt", encoding="utf-8") as fh:
        fh.write("name,id\n张三,7\n")
    assert _read(engine, f) == 1
    assert engine.query("SELECT id, name FROM staging.raw") == [("7", "张三")]


def test_wrong_delimiter_is_one_clear_error(engine: DuckDBEngine, tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text("id,name\n1,a\n", encoding="utf-8")
    with pytest.raises(SourceFormatError) as err:
        _read(engine, f, delimiter=";")
    assert str(f) in err.value.message and "missing column(s) id, name" in err.value.message
    assert err.value.hint and "','-separated" in err.value.hint


def test_missing_column_names_the_file(engine: DuckDBEngine, tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text("id,nom\n1,a\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"t\.csv: missing column\(s\) name"):
        _read(engine, f)


def test_bad_encoding_names_the_offset(engine: DuckDBEngine, tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_bytes(b"id,name\n1,Ji\xf8\xed\n")
    with pytest.raises(SourceFormatError, match=r"not valid utf-8 text \(byte 0xf8 at offset 12\)"):
        _read(engine, f)
    assert _read(engine, f, encoding="latin-1") == 1
    assert engine.query("SELECT name FROM staging.raw") == [("Jiøí",)]


def test_missing_and_empty_files(engine: DuckDBEngine, tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError, match="file not found"):
        _read(engine, tmp_path / "nope.csv")
    (tmp_path / "e.csv").write_text("", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="empty"):
        _read(engine, tmp_path / "e.csv")
