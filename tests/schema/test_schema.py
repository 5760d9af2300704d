from __future__ import annotations

import pytest

from portrait import schema
from portrait.errors import NotFoundError
from portrait.schema import TABLES, enums


def test_table_lookup_suggests_the_closest_name() -> None:
    assert schema.table("customers").key == ("customer_id",)
    with pytest.raises(NotFoundError) as err:
        schema.table("custmers")
    assert err.value.hint == "Did you mean 'customers'?"


def test_every_reference_points_at_an_existing_key_column() -> None:
    names = {t.name: t for t in TABLES}
    for table in TABLES:
        for fk in table.references:
            assert fk.table in names, (table.name, fk)
            assert fk.target in names[fk.table].column_names
            assert table.column(fk.column)
            # parents are validated before children
            assert [t.name for t in TABLES].index(fk.table) < [t.name for t in TABLES].index(
                table.name)


def test_keys_are_required_columns() -> None:
    for table in TABLES:
        for key in table.key:
            assert table.column(key).required, (table.name, key)


def test_pii_columns_are_the_customer_contact_fields() -> None:
    pii = {(t.name, c.name) for t in TABLES for c in t.pii_columns}
    assert pii == {("customers", "name"), ("customers", "national_id"), ("customers", "phone"),
                   ("customers", "email")}


def test_ordered_enumerations() -> None:
    assert enums.RISK_GRADES.index("R3") > enums.RISK_GRADES.index("R1")
    assert enums.RISK_LEVELS == ("C1", "C2", "C3", "C4", "C5")
    assert {"branch", "atm", "mobile", "web", "pos", "other"} <= set(enums.TRANSACTION_CHANNELS)
