"""Recording tag history: a row in ``tag_history`` whenever a customer's value of a tag
changes between consecutive snapshots (see :mod:`portrait.tags.snapshots`).

What a build records is defined by one rule: each (customer, tag) value of the new
snapshot, as JSON text, against the customer's open history row of that tag. Applying
the rule row by row means joining every value of the snapshot with every open row (tens
of millions of rows per million customers), so :func:`record` takes shorter roads that
record the same rows:

* a tag with no history yet has every value inserted as it is;
* a tag whose open rows hash the same as the new values has nothing to record (a
  rebuild of the same date);
* a tag whose open rows hash the same as its values in the previous snapshot — the
  usual case for a build of a later date — is compared with that snapshot column by
  column, on the native values (the text only where they differ), with one join by
  customer for all tags;
* any other tag is compared row by row;
* a date older than the latest (a backfill, e.g. for training) is spliced into the runs
  around it.

The hashes are order-free digests of (customer, value) pairs (:func:`_digests`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlglot import exp

from portrait.store.engine import Engine
from portrait.tags import snapshots

HISTORY = snapshots.HISTORY
#: Tags compared with the previous snapshot in one join.
PAIR_BATCH = 32


def _text(column: exp.Expr, column_type: str | None) -> exp.Expr:
    """A value as the JSON text history records ('null' for no value).

    Doubles are written with 12 significant digits, so that the last bits of a float,
    which differ between engines and summation orders, are not recorded as changes.
    """
    value: exp.Expr = exp.cast(exp.func("to_json", column), "VARCHAR")
    if column_type == "DOUBLE":
        value = exp.Anonymous(this="printf", expressions=[exp.Literal.string("%.12g"), column.copy()])
    return exp.func("coalesce", value, exp.Literal.string("null"))


def long_values(engine: Engine, table: str, tags: list[str]) -> str:
    """A snapshot's values as (customer_id, tag, value-as-JSON-text) rows.

    One scan of the snapshot unpivoted, rather than a union of one scan per tag: the
    union costs about twice as much to feed an insert.
    """
    types = engine.columns(table)
    texts = exp.select(exp.column("customer_id"), *[
        exp.alias_(_text(exp.column(t, quoted=True), types.get(t)), t, quoted=True) for t in tags]
    ).from_(exp.to_table(table))
    return (f"SELECT customer_id, tag, value FROM (UNPIVOT ({texts.sql('duckdb')}) "
            "ON COLUMNS(* EXCLUDE (customer_id)) INTO NAME tag VALUE value)")


def _quoted(tags: list[str]) -> str:
    return ", ".join(exp.Literal.string(t).sql("duckdb") for t in tags)


def _day(as_of: dt.date) -> str:
    return f"DATE {exp.Literal.string(as_of.isoformat()).sql('duckdb')}"


# Each (customer, value) is hashed twice before the XOR: DuckDB combines the hashes of
# several arguments linearly, so a plain bit_xor(hash(customer_id, value)) would not see
# two customers trade their values.
def _open_digests(engine: Engine, tags: list[str]) -> dict[str, tuple[int, int, Any]]:
    """Per tag with any history: (rows, open rows, order-free hash of the open values)."""
    rows = engine.query(
        f"SELECT tag, count(*), count(*) FILTER (WHERE valid_to IS NULL), "
        f"bit_xor(hash(hash(customer_id, value))) FILTER (WHERE valid_to IS NULL) FROM {HISTORY} "
        f"WHERE tag IN ({_quoted(tags)}) GROUP BY tag")
    return {r[0]: (int(r[1]), int(r[2]), r[3]) for r in rows}


def _digests(engine: Engine, table: str, tags: list[str]) -> dict[str, tuple[int, Any]]:
    """Per tag: (customers, order-free hash of their values as text) in a snapshot table."""
    types = engine.columns(table)
    digests = [exp.func("bit_xor", exp.func("hash", exp.func(
        "hash", exp.column("customer_id"), _text(exp.column(t, quoted=True), types.get(t)))))
        for t in tags]
    row = engine.query(exp.select(exp.Count(this=exp.Star()), *digests).from_(exp.to_table(table)))[0]
    return {t: (int(row[0]), row[i + 1]) for i, t in enumerate(tags)}


def record(engine: Engine, as_of: dt.date, table: str, tags: list[str]) -> int:
    """Bring ``tag_history`` up to date with the snapshot ``table`` as of ``as_of``.

    Building the latest date again with the same values changes nothing; building a date
    older than the latest splices its values into the runs around it (:func:`_splice`),
    or, for a date already recorded, recomputes those tags' history from every snapshot.

    Returns:
        The number of (customer, tag) values that changed.
    """
    if not tags:
        return 0
    latest = engine.query(f"SELECT max(valid_from) FROM {HISTORY} WHERE tag IN ({_quoted(tags)})")[0][0]
    # a backfill: history starts after this date, or a later snapshot holds these tags
    # (one whose values changed nothing starts no run, so history alone does not show it)
    later = any(s["as_of"] > as_of and not set(tags).isdisjoint(s["tags"])
                for s in snapshots.snapshots(engine))
    if latest is not None and (as_of < latest or later):
        recorded_then = engine.query(f"SELECT count(*) FROM {HISTORY} WHERE tag IN ({_quoted(tags)}) "
                                     f"AND valid_from = {_day(as_of)}")[0][0]
        return _recompute(engine, tags) if recorded_then else _splice(engine, as_of, table, tags)
    recorded = _open_digests(engine, tags)
    fresh = [t for t in tags if t not in recorded]
    held = [t for t in tags if t in recorded]
    changed = 0
    if fresh:
        # every value of a tag without history is a change, 'null' included
        engine.execute(f"INSERT INTO {HISTORY} SELECT customer_id, tag, value, {_day(as_of)}, NULL "
                       f"FROM ({long_values(engine, table, fresh)})")
        changed += int(engine.query(f"SELECT count(*) FROM {table}")[0][0]) * len(fresh)
    previous = _previous(engine, as_of) if latest is not None and latest < as_of else None
    paired = _paired(engine, previous, held, recorded) if previous and held else []
    if paired:
        assert previous is not None
        changed += _changes_by_pairs(engine, table, previous, paired)
        _apply(engine, as_of)
    rest = [t for t in held if t not in paired]
    if rest:
        now = _digests(engine, table, rest)
        moved = [t for t in rest if recorded[t][1:] != now[t]]
        if moved:
            changed += _record_rows(engine, as_of, table, moved, latest)
    return changed


def _previous(engine: Engine, as_of: dt.date) -> str | None:
    """The table of the latest snapshot before ``as_of``, if it is still there."""
    earlier = [s for s in snapshots.snapshots(engine) if s["as_of"] < as_of]
    return earlier[0]["table"] if earlier and engine.has_table(earlier[0]["table"]) else None


def _paired(engine: Engine, previous: str, tags: list[str],
            recorded: dict[str, tuple[int, int, Any]]) -> list[str]:
    """Tags whose open history rows are exactly their values in ``previous``."""
    columns = engine.columns(previous)
    held = [t for t in tags if t in columns]
    then = _digests(engine, previous, held) if held else {}
    return [t for t in held if recorded[t][1:] == then[t]]


def _changes_by_pairs(engine: Engine, table: str, previous: str, tags: list[str]) -> int:
    """(Re)create ``__changed`` by comparing ``table`` with ``previous`` column by column.

    Only valid for tags whose open rows are the values of ``previous`` (:func:`_paired`):
    a customer of ``previous`` then has one open row per tag, holding its value there.
    The tags are paired ``PAIR_BATCH`` at a time, so the paired rows stay a few columns
    wide whatever the catalog.
    """
    engine.execute("CREATE OR REPLACE TEMP TABLE __changed (customer_id VARCHAR, tag VARCHAR, "
                   "new_value VARCHAR, was_open BOOLEAN)")
    new_types, old_types = engine.columns(table), engine.columns(previous)
    for start in range(0, len(tags), PAIR_BATCH):
        batch = tags[start:start + PAIR_BATCH]
        pair = exp.select(
            exp.alias_(exp.func("coalesce", exp.column("customer_id", table="n"),
                                exp.column("customer_id", table="p")), "customer_id"),
            exp.alias_(exp.column("customer_id", table="n").is_(exp.null()).not_(), "in_n"),
            exp.alias_(exp.column("customer_id", table="p").is_(exp.null()).not_(), "in_p"),
            *[exp.alias_(exp.column(t, table=side, quoted=True), f"{side}__{t}", quoted=True)
              for t in batch for side in ("n", "p")],
        ).from_(exp.alias_(exp.to_table(table), "n", table=True)).join(
            exp.alias_(exp.to_table(previous), "p", table=True), join_type="FULL",
            on=exp.EQ(this=exp.column("customer_id", table="n"),
                      expression=exp.column("customer_id", table="p")))
        engine.execute(f"CREATE OR REPLACE TEMP TABLE __pair AS {pair.sql('duckdb')}")
        # rendered part by part: sqlglot copies a union tree each time it grows one
        union = "\nUNION ALL\n".join(_moves(t, new_types.get(t), old_types.get(t)).sql("duckdb")
                                      for t in batch)
        engine.execute(f"INSERT INTO __changed {union}")
        engine.execute("DROP TABLE __pair")
    return int(engine.query("SELECT count(*) FROM __changed")[0][0])


def _moves(tag: str, new_type: str | None, old_type: str | None) -> exp.Select:
    """The rows of ``__pair`` whose value of ``tag`` moved, as ``__changed`` rows.

    Equal native values render the same text, so the text is compared only where the
    native values differ — except for doubles, rendered to 12 digits, and zeros, whose
    sign is rendered: doubles whose values or signs differ are compared as text.
    """
    new, old = exp.column(f"n__{tag}", quoted=True), exp.column(f"p__{tag}", quoted=True)
    new_text, old_text = _text(new, new_type), _text(old, old_type)
    texts_differ = exp.NullSafeNEQ(this=new_text, expression=old_text)
    if new_type != old_type:
        moved: exp.Expr = texts_differ
    elif new_type == "DOUBLE":
        signs = exp.NullSafeNEQ(this=exp.func("signbit", new.copy()),
                                expression=exp.func("signbit", old.copy()))
        moved = exp.and_(exp.or_(exp.NullSafeNEQ(this=new.copy(), expression=old.copy()), signs),
                         texts_differ)
    else:
        moved = exp.NullSafeNEQ(this=new.copy(), expression=old.copy())
    both = exp.and_(exp.column("in_n"), exp.column("in_p"))
    return exp.select(
        exp.column("customer_id"), exp.alias_(exp.Literal.string(tag), "tag"),
        exp.alias_(exp.Case().when(exp.column("in_n"), new_text.copy()), "new_value"),
        exp.alias_(exp.column("in_p"), "was_open"),
    ).from_("__pair").where(exp.or_(exp.not_(both), moved))


def _record_rows(engine: Engine, as_of: dt.date, table: str, tags: list[str],
                 latest: dt.date | None) -> int:
    """Compare ``tags`` row by row with their open history rows and record the moves."""
    listed = _quoted(tags)
    engine.execute(f"CREATE OR REPLACE TEMP TABLE __new AS {long_values(engine, table, tags)}")
    changed = _changes_by_rows(engine, listed)
    if latest == as_of and changed:
        # a rebuild of the latest date with other values replaces what that date recorded
        engine.execute(f"DELETE FROM {HISTORY} WHERE tag IN ({listed}) AND valid_from = {_day(as_of)}")
        engine.execute(f"UPDATE {HISTORY} SET valid_to = NULL WHERE tag IN ({listed}) "
                       f"AND valid_to = {_day(as_of)}")
        _changes_by_rows(engine, listed)
    engine.execute("DROP TABLE __new")
    _apply(engine, as_of)
    return changed


def _changes_by_rows(engine: Engine, listed: str) -> int:
    """(Re)create ``__changed``: values of ``__new`` that differ from the open history rows."""
    engine.execute(
        "CREATE OR REPLACE TEMP TABLE __changed AS SELECT coalesce(n.customer_id, o.customer_id) "
        "AS customer_id, coalesce(n.tag, o.tag) AS tag, n.value AS new_value, "
        f"o.value IS NOT NULL AS was_open FROM __new n FULL JOIN (SELECT * FROM {HISTORY} "
        f"WHERE valid_to IS NULL AND tag IN ({listed})) o ON n.customer_id = o.customer_id "
        "AND n.tag = o.tag WHERE n.value IS DISTINCT FROM o.value")
    return int(engine.query("SELECT count(*) FROM __changed")[0][0])


def _apply(engine: Engine, as_of: dt.date) -> None:
    """Close the open rows ``__changed`` replaces and open its new values."""
    engine.execute(f"UPDATE {HISTORY} h SET valid_to = {_day(as_of)} FROM __changed c "
                   "WHERE h.customer_id = c.customer_id AND h.tag = c.tag AND h.valid_to IS NULL "
                   "AND c.was_open")
    engine.execute(f"INSERT INTO {HISTORY} SELECT customer_id, tag, new_value, {_day(as_of)}, NULL "
                   "FROM __changed WHERE new_value IS NOT NULL")
    engine.execute("DROP TABLE __changed")


def _splice(engine: Engine, as_of: dt.date, table: str, tags: list[str]) -> int:
    """Insert the values of a snapshot older than the latest into the history of ``tags``
    (a backfill: no run of them starts on ``as_of`` yet).

    The history is the same as :func:`_recompute` would make, but only the runs around
    ``as_of`` are touched. For each (customer, tag) whose value differs from the run
    covering ``as_of`` (or that no run covers):

    * the covering run ends on ``as_of``;
    * if it also covered the next snapshot N holding the tag, it resumes on N (the value
      there was the run's, not the new one);
    * else the run that follows (the next one, or the first one when none covered
      ``as_of``) starts on ``as_of`` instead when it has the new value;
    * else the new value gets a run from ``as_of`` to where the following run starts.

    Tags are spliced ``PAIR_BATCH`` at a time, so memory stays bounded by the batch.

    Returns:
        The number of (customer, tag) values that differ from the runs covering ``as_of``.
    """
    later = sorted((s for s in snapshots.snapshots(engine) if s["as_of"] > as_of),
                   key=lambda s: s["as_of"])
    day, changed = _day(as_of), 0
    for start in range(0, len(tags), PAIR_BATCH):
        batch = tags[start:start + PAIR_BATCH]
        listed = _quoted(batch)
        nexts = ", ".join(
            f"({exp.Literal.string(t).sql('duckdb')}, "
            + next((_day(s["as_of"]) for s in later if t in s["tags"]), "CAST(NULL AS DATE)") + ")"
            for t in batch)
        engine.execute(f"CREATE OR REPLACE TEMP TABLE __new AS {long_values(engine, table, batch)}")
        engine.execute(
            "CREATE OR REPLACE TEMP TABLE __splice AS "
            f"WITH h AS (SELECT * FROM {HISTORY} WHERE tag IN ({listed})), "
            f"nx(tag, nxt) AS (VALUES {nexts}), "
            # the run covering the date, where it holds another value (or there is none)
            "cov AS (SELECT n.customer_id, n.tag, n.value, r.valid_from AS r_from, "
            "r.valid_to AS r_to, r.value AS r_value, nx.nxt, r.valid_from IS NOT NULL AND "
            "nx.nxt IS NOT NULL AND (r.valid_to IS NULL OR r.valid_to > nx.nxt) AS split "
            f"FROM __new n JOIN nx USING (tag) LEFT JOIN h r ON r.customer_id = n.customer_id "
            f"AND r.tag = n.tag AND r.valid_from < {day} AND (r.valid_to IS NULL OR r.valid_to > {day}) "
            "WHERE r.value IS DISTINCT FROM n.value), "
            # where the run that follows starts: after the covering run, or the first run
            "fol AS (SELECT c.*, CASE WHEN c.r_from IS NULL THEN (SELECT min(f.valid_from) FROM h f "
            f"WHERE f.customer_id = c.customer_id AND f.tag = c.tag AND f.valid_from > {day}) "
            "WHEN NOT c.split THEN c.r_to END AS s_from FROM cov c) "
            "SELECT f.*, s.value IS NOT DISTINCT FROM f.value AND s.valid_from IS NOT NULL AS merge "
            "FROM fol f LEFT JOIN h s ON s.customer_id = f.customer_id AND s.tag = f.tag "
            "AND s.valid_from = f.s_from")
        engine.execute(f"UPDATE {HISTORY} h SET valid_to = {day} FROM __splice c WHERE c.r_from IS NOT NULL "
                       "AND h.customer_id = c.customer_id AND h.tag = c.tag AND h.valid_from = c.r_from")
        engine.execute(f"UPDATE {HISTORY} h SET valid_from = {day} FROM __splice c WHERE c.merge "
                       "AND h.customer_id = c.customer_id AND h.tag = c.tag AND h.valid_from = c.s_from")
        engine.execute(f"INSERT INTO {HISTORY} SELECT customer_id, tag, r_value, nxt, r_to FROM __splice "
                       "WHERE split")
        engine.execute(f"INSERT INTO {HISTORY} SELECT customer_id, tag, value, {day}, "
                       "CASE WHEN split THEN nxt ELSE s_from END FROM __splice WHERE NOT merge")
        changed += int(engine.query("SELECT count(*) FROM __splice")[0][0])
        engine.execute("DROP TABLE __splice")
        engine.execute("DROP TABLE __new")
    return changed


def _recompute(engine: Engine, tags: list[str]) -> int:
    """History of ``tags`` rebuilt from every snapshot that holds them."""
    listed = _quoted(tags)
    parts: list[str] = []
    for snap in sorted(snapshots.snapshots(engine), key=lambda s: s["as_of"]):
        held = [t for t in tags if t in snap["tags"]]
        if held:
            values = long_values(engine, snap["table"], held)
            parts.append(f"SELECT *, {_day(snap['as_of'])} AS d FROM ({values})")
    engine.execute(f"DELETE FROM {HISTORY} WHERE tag IN ({listed})")
    engine.execute(
        f"INSERT INTO {HISTORY} SELECT customer_id, tag, value, d, NULL FROM ("
        "SELECT *, lag(value) OVER (PARTITION BY customer_id, tag ORDER BY d) AS prev FROM ("
        + " UNION ALL ".join(parts) + ")) WHERE prev IS DISTINCT FROM value")
    # close each run where the next run starts (not at the next snapshot)
    engine.execute(
        f"UPDATE {HISTORY} h SET valid_to = n.nf FROM (SELECT customer_id, tag, valid_from, "
        "lead(valid_from) OVER (PARTITION BY customer_id, tag ORDER BY valid_from) AS nf "
        f"FROM {HISTORY} WHERE tag IN ({listed})) n WHERE h.customer_id = n.customer_id AND "
        "h.tag = n.tag AND h.valid_from = n.valid_from")
    return int(engine.query(f"SELECT count(*) FROM {HISTORY} WHERE tag IN ({listed})")[0][0])
