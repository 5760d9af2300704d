"""No clear PII reaches the warehouse file; tokens join equal values."""

from __future__ import annotations

import duckdb

from portrait.ingest.pipeline import run_ingest
from portrait.store import Workspace
from tests.ingest.static_source import StaticSource

PEOPLE = [
    {"customer_id": f"c{i}", "name": name, "national_id": nid, "phone": phone, "email": email}
    for i, (name, nid, phone, email) in enumerate([
        ("欧阳娜娜", "110101199003071234", "13812345678", "ouyang.nana@example.cn"),
        ("Zhang Weiwei", "31010519851123456X", "15987654321", "zhang.weiwei@example.cn"),
        ("李建国", "440305197001019876", "13812345678", "li.jianguo@example.cn"),
    ])
]


def test_warehouse_file_holds_no_clear_pii(workspace: Workspace) -> None:
    run_ingest(workspace, StaticSource({"customers": PEOPLE}))
    clear = [v for p in PEOPLE for k, v in p.items() if k != "customer_id"]
    con = duckdb.connect(str(workspace.warehouse_path))
    columns = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                          "WHERE table_schema = 'main'").fetchall()
    for table, column in columns:
        values = [str(r[0]) for r in con.execute(f'SELECT "{column}" FROM "{table}"').fetchall()]
        for value in values:
            assert not any(c in value for c in clear), (table, column, value)
    tokens = con.execute("SELECT customer_id, phone_token FROM customers ORDER BY 1").fetchall()
    con.execute("CHECKPOINT")
    con.close()
    # equal phone numbers give equal tokens, so the warehouse can join on them
    assert tokens[0][1] == tokens[2][1] != tokens[1][1]
    raw = b"".join(p.read_bytes() for p in workspace.root.glob("warehouse.duckdb*"))
    for value in clear:
        assert value.encode() not in raw, value
        assert value.encode("utf-16-le") not in raw, value


def test_pii_decrypts_with_the_workspace_key(workspace: Workspace) -> None:
    run_ingest(workspace, StaticSource({"customers": PEOPLE}))
    engine = workspace.engine()
    blobs = [r[0] for r in engine.query("SELECT name FROM customers ORDER BY customer_id")]
    engine.close()
    assert workspace.cipher().decrypt(blobs, context="customers.name") == [p["name"] for p in PEOPLE]
