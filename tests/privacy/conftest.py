"""A tiny hand-made warehouse: three customers, their rows in every table, a tag snapshot."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from portrait.store import Workspace
from portrait.tags import snapshots

#: customer → (name, national id, phone, email, rm_id)
PEOPLE = {
    "C1": ("张三", "110101199001011234", "13812345678", "zhang@example.com", "RM-A"),
    "C2": ("李四", "310101198505054321", "13900001111", "li@example.com", "RM-B"),
    "C3": ("王五", "440101197007078888", "13700002222", None, None),
}
AS_OF = dt.date(2025, 1, 31)
SNAPSHOT = snapshots.table_name(AS_OF)
#: shipped-catalog tags of each sensitivity (public, internal, confidential, restricted)
TAGS = {"district_avg_salary": "DOUBLE", "gender": "VARCHAR", "dependents": "DOUBLE",
        "has_defaulted_loan": "BOOLEAN"}


def fill(ws: Workspace) -> None:
    cipher = ws.cipher()
    eng = ws.engine()
    try:
        for cid, (name, nid, phone, email, rm) in PEOPLE.items():
            values: list[object] = [cid]
            for field, value in (("name", name), ("national_id", nid), ("phone", phone),
                                 ("email", email)):
                values += [cipher.encrypt([value], context=f"customers.{field}")[0],
                           cipher.tokens([value])[0]]
            values += ["M", dt.date(1990, 1, 1), None, "北京市", "engineer", "bachelor", "married",
                       1, 10000, "C3", "BR1", rm, dt.date(2020, 1, 1), None]
            eng.execute(f"INSERT INTO customers VALUES ({', '.join('?' * len(values))})", values)
            eng.execute("INSERT INTO accounts VALUES (?, ?, 'current', DATE '2020-01-01', NULL, "
                        "'active', NULL, 'CNY', NULL)", [f"A-{cid}", cid])
            eng.execute("INSERT INTO account_parties VALUES (?, ?, 'owner')", [f"A-{cid}", cid])
            eng.execute("INSERT INTO holdings VALUES (?, ?, 'DEP', ?, DATE '2020-01-01', NULL, "
                        "5000, 'active', NULL)", [f"H-{cid}", cid, f"A-{cid}"])
            for n in range(3):
                eng.execute("INSERT INTO transactions VALUES (?, ?, ?, ?, -100, 900, 'pos', "
                            "'card_purchase', 'shop')",
                            [f"T-{cid}-{n}", f"A-{cid}", cid, dt.datetime(2025, 1, n + 1, 10)])
            eng.execute("INSERT INTO events VALUES (?, ?, TIMESTAMP '2025-01-05 09:00:00', 'app', "
                        "'login', NULL, NULL, NULL)", [f"E-{cid}", cid])
            eng.execute("INSERT INTO consents VALUES (?, 'marketing_sms', TIMESTAMP '2024-01-01', "
                        "true, 'app'), (?, 'marketing_sms', TIMESTAMP '2024-06-01', false, 'call')",
                        [cid, cid])
        eng.execute("INSERT INTO products VALUES ('DEP', '活期', 'deposit', 'R1', 0, NULL)")
        # C2 may use C1's account: erasing C1 must take that row too
        eng.execute("INSERT INTO account_parties VALUES ('A-C1', 'C2', 'user')")
        snapshots.ensure_tables(eng)
        cols = ", ".join(f"{n} {t}" for n, t in TAGS.items())
        eng.execute(f"CREATE TABLE {SNAPSHOT} (customer_id VARCHAR, {cols})")
        eng.execute(f"INSERT INTO {SNAPSHOT} VALUES ('C1', 9500, 'M', 2, true), "
                    "('C2', 8000, 'M', 0, false), ('C3', 7000, 'M', 1, false)")
        eng.execute("INSERT INTO tag_snapshots VALUES (?, ?, now(), ?, '{}', 3)",
                    [AS_OF, SNAPSHOT, json.dumps(list(TAGS))])
        for cid in PEOPLE:
            eng.execute("INSERT INTO tag_history VALUES (?, 'gender', '\"M\"', ?, NULL)", [cid, AS_OF])
    finally:
        eng.close()


@pytest.fixture
def bank(workspace: Workspace) -> Workspace:
    fill(workspace)
    return workspace
