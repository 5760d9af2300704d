"""The csv adapter on tiny hand-made extracts and mapping files: values, not shapes."""

from __future__ import annotations

import contextlib
import json
import textwrap
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portrait.errors import DefinitionError, SourceFormatError
from portrait.ingest.csvmap import CsvAdapter, load_mapping, shipped_mappings
from portrait.ingest.pipeline import IngestReport, run_ingest
from portrait.ingest.sqlexpr import parse_scalar
from portrait.store import Workspace


def _files(tmp_path: Path, csv: str | bytes, mapping: str, name: str = "extract.csv"
           ) -> tuple[Path, Path]:
    data = tmp_path / name
    if isinstance(csv, bytes):
        data.write_bytes(csv)
    else:
        data.write_text(textwrap.dedent(csv).lstrip(), encoding="utf-8")
    spec = tmp_path / "m.yaml"
    spec.write_text(textwrap.dedent(mapping), encoding="utf-8")
    return data, spec


def _ingest(ws: Workspace, tmp_path: Path, csv: str | bytes, mapping: str) -> IngestReport:
    data, spec = _files(tmp_path, csv, mapping)
    return run_ingest(ws, CsvAdapter(data, spec))


def _query(ws: Workspace, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _quarantine(ws: Workspace, table: str) -> list[tuple[Any, ...]]:
    path = ws.quarantine_dir / f"{table}.parquet"
    return duckdb.connect().execute("SELECT source_file, source_row, field, reason "
                                    "FROM read_parquet(?) ORDER BY source_row",
                                    [str(path)]).fetchall()


def _load_error(tmp_path: Path, mapping: str) -> str:
    spec = tmp_path / "m.yaml"
    spec.write_text(textwrap.dedent(mapping), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_mapping(spec)
    return str(info.value)


PEOPLE = """\
    id,surname,sex,salary,segment,score
    17,Novak,Male,36000,retail,700
    18,Dvorak,Female,48000.50,private,650
    """

PEOPLE_MAPPING = """\
    source:
      delimiter: ","
      columns: {salary: money, score: integer}
    tables:
      customers:
        columns:
          customer_id: {template: "t-{id}"}
          name: surname
          gender: {from: sex, map: {Male: M, Female: F}}
          income_declared: {expr: "round(salary / 12, 2)"}
        attributes:
          - segment
          - {name: credit_score, from: score}
          - {name: premium, expr: "segment = 'private'"}
    """


def test_rename_map_expr_template_and_attributes(workspace: Workspace, tmp_path: Path) -> None:
    report = _ingest(workspace, tmp_path, PEOPLE, PEOPLE_MAPPING)
    assert (report.tables["customers"].loaded, report.quarantined) == (2, 0)
    rows = _query(workspace, "SELECT customer_id, gender, CAST(income_declared AS VARCHAR), "
                             "attributes, name FROM customers ORDER BY 1")
    assert [r[:3] for r in rows] == [("t-17", "M", "3000.00"), ("t-18", "F", "4000.04")]
    assert [json.loads(r[3]) for r in rows] == [
        {"segment": "retail", "credit_score": 700, "premium": False},
        {"segment": "private", "credit_score": 650, "premium": True},
    ]
    names = workspace.cipher().decrypt([r[4] for r in rows], context="customers.name")
    assert names == ["Novak", "Dvorak"]


def test_unmapped_value_is_quarantined_with_file_row_field_and_reason(
        workspace: Workspace, tmp_path: Path) -> None:
    csv = PEOPLE + "    19,Svoboda,unknown,30000,retail,600\n"
    report = _ingest(workspace, tmp_path, csv, PEOPLE_MAPPING)
    assert (report.tables["customers"].loaded, report.tables["customers"].quarantined) == (2, 1)
    [(source_file, row, field, reason)] = _quarantine(workspace, "customers")
    assert (source_file, row, field) == (str(tmp_path / "extract.csv"), 4, "gender")
    assert reason.startswith("no mapping for sex value 'unknown' (the map has: Female, Male")


def test_map_default_catches_unmapped_values(workspace: Workspace, tmp_path: Path) -> None:
    csv = PEOPLE + "    19,Svoboda,unknown,30000,retail,600\n"
    mapping = PEOPLE_MAPPING.replace("map: {Male: M, Female: F}",
                                     "map: {Male: M, Female: F, n/a: ~}, map_default: F")
    _ingest(workspace, tmp_path, csv, mapping)
    assert _query(workspace, "SELECT customer_id, gender FROM customers ORDER BY 1") == [
        ("t-17", "M"), ("t-18", "F"), ("t-19", "F")]


def test_value_that_does_not_convert_is_quarantined(workspace: Workspace, tmp_path: Path) -> None:
    csv = PEOPLE + "    19,Svoboda,Male,lots,retail,600\n"
    report = _ingest(workspace, tmp_path, csv, PEOPLE_MAPPING)
    assert report.tables["customers"].quarantined == 1
    assert _quarantine(workspace, "customers")[0][1:] == (
        4, "salary", "salary: not a valid money: 'lots'")


MARKETING = """\
    age;job;y
    58;management;no
    44;unknown;yes
    33;  ;yes
    """

MARKETING_MAPPING = """\
    source: {delimiter: auto, columns: {age: integer}}
    tables:
      customers:
        columns:
          customer_id: {template: "bm-{_row}"}
          occupation: {expr: "nullif(job, 'unknown')"}
        attributes: [age]
      contacts:
        columns:
          contact_id: {template: "bm-{_row}-call"}
          campaign_id: {value: deposit-2008}
          customer_id: {template: "bm-{_row}"}
          channel: {value: call}
          arm: {value: treatment}
      responses:
        where: "y = 'yes' AND age > 40"
        columns:
          response_id: {template: "bm-{_row}-r"}
          contact_id: {template: "bm-{_row}-call"}
          customer_id: {template: "bm-{_row}"}
          outcome: {value: converted}
    """


def test_templates_where_and_auto_delimiter(workspace: Workspace, tmp_path: Path) -> None:
    report = _ingest(workspace, tmp_path, MARKETING, MARKETING_MAPPING)
    assert {t: c.loaded for t, c in report.tables.items()} == {
        "customers": 3, "contacts": 3, "responses": 1}
    assert "Delimiter ';' detected from the header." in report.source.notes
    assert _query(workspace, "SELECT customer_id, occupation, attributes->>'age' FROM customers "
                             "ORDER BY 1") == [
        ("bm-1", "management", "58"), ("bm-2", None, "44"), ("bm-3", None, "33")]
    assert _query(workspace, "SELECT response_id, contact_id, customer_id, outcome "
                             "FROM responses") == [("bm-2-r", "bm-2-call", "bm-2", "converted")]
    assert _query(workspace, "SELECT DISTINCT campaign_id, channel, arm FROM contacts") == [
        ("deposit-2008", "call", "treatment")]


def test_where_keeps_rows_whose_filter_value_does_not_convert(
        workspace: Workspace, tmp_path: Path) -> None:
    csv = MARKETING + "    old;admin.;yes\n"
    report = _ingest(workspace, tmp_path, csv, MARKETING_MAPPING)
    assert report.tables["responses"].quarantined == 1
    [(_, row, field, reason)] = _quarantine(workspace, "responses")
    assert (row, field) == (5, "age")
    assert reason.startswith("age: not a valid integer: 'old'; ")


def test_malformed_lines_are_quarantined_and_row_ids_stay_stable(
        workspace: Workspace, tmp_path: Path) -> None:
    csv = MARKETING.replace("44;unknown;yes", "44;unknown;yes;extra")
    report = _ingest(workspace, tmp_path, csv, MARKETING_MAPPING)
    assert report.source.records == {"rows": 2, "malformed_lines": 1}
    assert "1 malformed line(s) quarantined." in report.source.notes
    assert _quarantine(workspace, "customers")[0][1:3] == (3, None)
    # The line after the broken one keeps its own number, so its derived id is unchanged.
    assert _query(workspace, "SELECT customer_id FROM customers ORDER BY 1") == [
        ("bm-1",), ("bm-3",)]


def test_expression_failing_at_run_time_names_the_table(
        workspace: Workspace, tmp_path: Path) -> None:
    mapping = PEOPLE_MAPPING.replace('{template: "t-{id}"}', '{expr: "CAST(surname AS INT)"}')
    data, spec = _files(tmp_path, PEOPLE, mapping)
    with pytest.raises(DefinitionError) as info:
        run_ingest(workspace, CsvAdapter(data, spec))
    assert str(info.value).startswith(f"{spec}: tables.customers: cannot be computed from {data}")
    assert info.value.hint is not None
    assert "TRY_CAST" in info.value.hint


def test_constant_rows_and_distinct(workspace: Workspace, tmp_path: Path) -> None:
    csv = """\
        client,card
        1,Blue
        2,Gold
        3,Blue
        """
    mapping = """\
        tables:
          products:
            rows:
              - {product_id: card-blue, name: Blue card, category: credit_card, risk_grade: R1,
                 attributes: {tier: 1}}
              - {product_id: card-gold, name: Gold card, category: credit_card, risk_grade: R2}
          customers:
            columns: {customer_id: client}
          holdings:
            columns:
              holding_id: {template: "{client}-{card}"}
              customer_id: client
              product_id: {from: card, map: {Blue: card-blue, Gold: card-gold}}
              status: {value: active}
          districts:
            distinct: true
            columns: {district_id: card, name: {template: "{card} district"}}
        """
    report = _ingest(workspace, tmp_path, csv, mapping)
    assert report.quarantined == 0
    assert _query(workspace, "SELECT product_id, risk_grade, attributes FROM products "
                             "ORDER BY 1") == [("card-blue", "R1", '{"tier":1}'),
                                               ("card-gold", "R2", None)]
    assert _query(workspace, "SELECT holding_id, product_id FROM holdings ORDER BY 1") == [
        ("1-Blue", "card-blue"), ("2-Gold", "card-gold"), ("3-Blue", "card-blue")]
    assert _query(workspace, "SELECT district_id, name FROM districts ORDER BY 1") == [
        ("Blue", "Blue district"), ("Gold", "Gold district")]


def test_number_and_date_formats_and_null_values(workspace: Workspace, tmp_path: Path) -> None:
    csv = """\
        id|income|since|kids
        1|"1.234,56"|31/12/2020|2
        2|NA|01/02/2019|NA
        """
    mapping = """\
        source:
          delimiter: "|"
          null_values: [NA]
          decimal_separator: ","
          thousands_separator: "."
          columns:
            income: money
            since: {type: date, format: "%d/%m/%Y"}
        tables:
          customers:
            columns:
              customer_id: id
              income_declared: income
              joined_at: since
              dependents: kids
        """
    _ingest(workspace, tmp_path, csv, mapping)
    rows = _query(workspace, "SELECT customer_id, CAST(income_declared AS VARCHAR), "
                             "CAST(joined_at AS VARCHAR), dependents FROM customers ORDER BY 1")
    assert rows == [("1", "1234.56", "2020-12-31", 2), ("2", None, "2019-02-01", None)]


def test_other_encodings_are_read_and_reported_as_the_original_file(
        workspace: Workspace, tmp_path: Path) -> None:
    csv = "id,city\n1,Plze\u0148 \u20ac\n".encode("cp1250")
    mapping = """\
        source: {encoding: cp1250}
        tables:
          customers:
            columns: {customer_id: id, city: city}
        """
    _ingest(workspace, tmp_path, csv, mapping)
    assert _query(workspace, "SELECT city FROM customers") == [("Plze\u0148 \u20ac",)]


def test_latin1_bytes_in_a_utf8_file_are_a_source_format_error(
        workspace: Workspace, tmp_path: Path) -> None:
    csv = "id,city\n1,Mal\u00e9\n".encode("latin-1")
    mapping = "tables: {customers: {columns: {customer_id: id, city: city}}}\n"
    data, spec = _files(tmp_path, csv, mapping)
    with pytest.raises(SourceFormatError, match=r"not valid utf-8 text \(byte 0xe9"):
        run_ingest(workspace, CsvAdapter(data, spec))
    spec.write_text("source: {encoding: latin-1}\n" + mapping, encoding="utf-8")
    run_ingest(workspace, CsvAdapter(data, spec))
    assert _query(workspace, "SELECT city FROM customers") == [("Mal\u00e9",)]


def test_missing_source_column_names_mapping_field_and_suggests(
        workspace: Workspace, tmp_path: Path) -> None:
    mapping = PEOPLE_MAPPING.replace("name: surname", "name: surnme")
    data, spec = _files(tmp_path, PEOPLE, mapping)
    with pytest.raises(SourceFormatError) as info:
        run_ingest(workspace, CsvAdapter(data, spec))
    assert str(info.value).startswith(
        f"{spec}: tables.customers.columns.name.from: column 'surnme' is not in the header of "
        f"{data}; did you mean 'surname'?")


def test_source_columns_match_case_insensitively(workspace: Workspace, tmp_path: Path) -> None:
    mapping = PEOPLE_MAPPING.replace("name: surname", "name: SURNAME")
    assert _ingest(workspace, tmp_path, PEOPLE, mapping).tables["customers"].loaded == 2


def test_wrong_delimiter_says_what_the_header_looks_like(
        workspace: Workspace, tmp_path: Path) -> None:
    mapping = MARKETING_MAPPING.replace("delimiter: auto", 'delimiter: ","')
    data, spec = _files(tmp_path, MARKETING, mapping)
    with pytest.raises(SourceFormatError) as info:
        run_ingest(workspace, CsvAdapter(data, spec))
    assert "column 'job' is not in the header" in str(info.value)
    assert info.value.hint is not None
    assert "looks ';'-separated, not ','-separated" in info.value.hint


def test_missing_file(tmp_path: Path, workspace: Workspace) -> None:
    _, spec = _files(tmp_path, PEOPLE, PEOPLE_MAPPING)
    with pytest.raises(SourceFormatError, match="file not found"):
        run_ingest(workspace, CsvAdapter(tmp_path / "nope.csv", spec))


def test_expression_over_text_names_its_field(workspace: Workspace, tmp_path: Path) -> None:
    mapping = PEOPLE_MAPPING.replace("columns: {salary: money, score: integer}",
                                     "columns: {score: integer}")
    data, spec = _files(tmp_path, PEOPLE, mapping)
    with pytest.raises(DefinitionError) as info:
        run_ingest(workspace, CsvAdapter(data, spec))
    assert str(info.value).startswith(f"{spec}: tables.customers.columns.income_declared.expr: ")
    assert info.value.hint is not None
    assert "source.columns" in info.value.hint


@pytest.mark.parametrize(("mapping", "message"), [
    ("tables: {customers: {columns: {customer_id: id, gendr: sex}}}",
     "m.yaml: tables.customers.columns.gendr: customers has no column 'gendr'; "
     "did you mean 'gender'?"),
    ("tables: {customers: {columns: {customer_id: id, gender: {from: sex, map: {Male: Man}}}}}",
     "m.yaml: tables.customers.columns.gender.map.Male: 'Man' is not one of: M, F"),
    ("source: {delimeter: ';'}\ntables: {customers: {columns: {customer_id: id}}}",
     "m.yaml: source.delimeter: unknown key; did you mean 'delimiter'?"),
    ("tables: {customers: {columns: {name: surname}}}",
     "m.yaml: tables.customers.columns: required column(s) of customers not mapped: "
     "customer_id"),
    ("tables: {customer: {columns: {customer_id: id}}}",
     "m.yaml: tables.customer: unknown canonical table; did you mean 'customers'?"),
    ("tables: {customers: {columns: {customer_id: {from: id, value: x}}}}",
     "m.yaml: tables.customers.columns.customer_id: give exactly one of from, expr, value, "
     "template (got: from, value)"),
    ("tables: {customers: {columns: {customer_id: id, attributes: x}}}",
     "m.yaml: tables.customers.columns.attributes: list source columns under the table's "
     "`attributes:`"),
    ("tables: {customers: {columns: {customer_id: id}, attributes: [{expr: '1'}]}}",
     "m.yaml: tables.customers.attributes[0]: an attribute computed with expr, value or "
     "template needs a name"),
    ("tables: {customers: {columns: {customer_id: {template: 'c-{id:>5}'}}}}",
     "m.yaml: tables.customers.columns.customer_id.template: template 'c-{id:>5}': fields are "
     "plain column names"),
    ("tables: {products: {rows: [{product_id: p, name: P, category: cards, risk_grade: R1}]}}",
     "m.yaml: tables.products.rows[0].category: 'cards' is not one of: deposit,"),
    ("tables: {customers: {columns: {customer_id: id, gender: {from: s, map: {true: M}}}}}",
     "m.yaml: tables.customers.columns.gender.map: key True is a boolean: quote it ('true')"),
    ("tables:\n  customers: {columns: {customer_id: id}}\n  customers: {columns: {customer_id: x}}",
     "m.yaml: line 3: not valid YAML: duplicate key 'customers'"),
    ("source: {delimiter: ';;'}\ntables: {customers: {columns: {customer_id: id}}}",
     "m.yaml: source.delimiter: must be one character, `tab` or `auto`"),
])
def test_mapping_errors_name_file_and_field(tmp_path: Path, mapping: str, message: str) -> None:
    error = _load_error(tmp_path, mapping)
    assert error.startswith(f"{tmp_path / 'm.yaml'}: {message.removeprefix('m.yaml: ')}"), error


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    error = _load_error(tmp_path, "tables: {customers: {columns: {customer_id: id, a: x, b: y}}}")
    assert error.count(f"{tmp_path / 'm.yaml'}: tables.customers.columns.") == 2


def test_yaml_codes_stay_as_written(tmp_path: Path) -> None:
    spec = tmp_path / "m.yaml"
    spec.write_text("tables: {customers: {columns: {customer_id: id, marital_status: "
                    "{from: m, map: {yes: married, no: single, 01: divorced, 2: widowed}}}}}",
                    encoding="utf-8")
    vspec = load_mapping(spec).tables["customers"].columns["marital_status"]
    assert vspec.map == {"yes": "married", "no": "single", "01": "divorced", "2": "widowed"}


@pytest.mark.parametrize("expr", [
    "(SELECT 1)", "x IN (SELECT id FROM customers)", "x; DROP TABLE customers",
    "DROP TABLE customers", "sum(x)", "row_number() OVER ()", "read_csv('/etc/passwd')",
    "getenv('HOME')", "current_setting('threads')", "random()", "now()", "t.x", "x AS y", "*",
    "?", "nextval('s')", "'unterminated",
])
def test_unsafe_or_invalid_expressions_are_rejected(tmp_path: Path, expr: str) -> None:
    quoted = expr.replace('"', '\\"')
    for mapping, path in [
        (f'tables: {{customers: {{columns: {{customer_id: {{expr: "{quoted}"}}}}}}}}',
         "tables.customers.columns.customer_id.expr"),
        (f'tables: {{customers: {{where: "{quoted}", columns: {{customer_id: id}}}}}}',
         "tables.customers.where"),
    ]:
        error = _load_error(tmp_path, mapping)
        assert error.startswith(f"{tmp_path / 'm.yaml'}: {path}: "), error


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_parse_scalar_only_ever_raises_value_error(text: str) -> None:
    with contextlib.suppress(ValueError):
        parse_scalar(text)


def test_shipped_mappings_load_by_name() -> None:
    assert shipped_mappings() == ["bank_churners", "bank_marketing", "churn_modelling"]
    for name in shipped_mappings():
        assert load_mapping(name).label == f"{name}.yaml"
    with pytest.raises(DefinitionError) as info:
        load_mapping("bank_marketting")
    assert info.value.hint == "Did you mean 'bank_marketing'?"


def test_mapping_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="mapping file not found"):
        load_mapping(tmp_path / "missing.yaml")


def test_the_documented_example_is_a_valid_mapping(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "mapping-files.md").read_text(
        encoding="utf-8")
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "example.yaml").write_text(example, encoding="utf-8")
    spec = load_mapping(tmp_path / "example.yaml")
    assert list(spec.tables) == ["customers", "products", "holdings"]
    assert spec.source.columns["OpenDate"].format == "%d/%m/%Y"
