"""The Apache Spark engine: computes tag snapshots over Parquet exports of the warehouse.

The warehouse stays the workspace's DuckDB file (it owns ingest, transactions and
atomic publish). Spark is a *compute* engine: :meth:`SparkEngine.materialize` exports
the input tables to Parquet, registers each as a Spark temporary view under its table
name, runs one query in Spark SQL, writes the result as Parquet and has the warehouse
import it. See ``docs/decisions.md``.

PySpark is optional (``pip install 'portrait[spark]'``); importing this module never
imports it, so the engine is registered everywhere and only opening it needs PySpark.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import uuid
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

from portrait.errors import UsageError
from portrait.store.engine import CAP_COMPUTE, CAP_PARQUET, Engine, PublishItem, Sql, register_engine

INSTALL_HINT = "pip install 'portrait[spark]'"
_NOT_A_WAREHOUSE = ("The Spark engine computes tags; the warehouse stays DuckDB, so {what} runs "
                    "on the workspace's DuckDB file.")
_NOT_A_WAREHOUSE_HINT = ("Keep `engine = \"duckdb\"` in portrait.toml's [warehouse] and use "
                         "`portrait tags build --engine spark`.")

#: Spark settings every session gets; ``options`` may override or add ``spark.*`` keys.
_CONF: dict[str, str] = {
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.session.timeZone": "UTC",
    # Fail on overflow and bad casts as DuckDB does, rather than yield NULL (Spark 3.5's default).
    "spark.sql.ansi.enabled": "true",
    # Timestamps as int64 microseconds, not legacy INT96, so DuckDB reads them back exactly.
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.catalogImplementation": "in-memory",
}

#: JVM flags of a local session: it lives for one build, where the optimising JIT compiler
#: (C2) costs more CPU than it saves (a tag build on the Berka data: ~16 s instead of ~50 s
#: on two busy cores). Override with the ``java_options`` option for long-lived sessions.
_LOCAL_JAVA = "-XX:TieredStopAtLevel=1"

_LOG4J2 = """\
# Root at WARN (the level Spark's shell start-up expects, so it announces nothing); the
# console shows errors only.
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.filter.threshold.type = ThresholdFilter
appender.console.filter.threshold.level = error
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
"""


@runtime_checkable
class ParquetExchange(Protocol):
    """A warehouse that can hand tables over as Parquet and take results back."""

    def export_parquet(self, table: str, path: Path) -> None: ...

    def import_parquet(self, path: Path, table: str) -> None: ...


def pyspark_available() -> bool:
    """Whether PySpark can be imported (without importing it)."""
    return importlib.util.find_spec("pyspark") is not None


def tables_read(sql: str, dialect: str = "spark") -> list[str]:
    """Names of the tables a query reads (its CTEs excluded), in order of appearance."""
    tree = sqlglot.parse_one(sql, dialect=dialect)
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    names = [exp.table_name(t) for t in tree.find_all(exp.Table)]
    return list(dict.fromkeys(n for n in names if n and n not in ctes))


def _quiet_python_loggers() -> None:
    """Keep PySpark (≥ 4.0) from logging every SQL error as JSON on stderr; the error is
    raised all the same, with its message."""
    try:
        from pyspark.logger import PySparkLogger
    except ImportError:  # PySpark 3.5
        return
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)


def _view_name(table: str) -> str:
    if "." in table:
        raise UsageError(f"The Spark engine registers inputs as temporary views; {table!r} is "
                         "qualified with a schema.", hint="Pass canonical table names (main schema).")
    return table


class SparkEngine:
    """A local (or configured) Spark session that computes over Parquet exports.

    Args:
        path: A workspace root (or any folder); the engine's scratch files go under
            ``<path>/.spark/`` and are removed by :meth:`close`. A file path (the warehouse
            file) means its folder.
        options: ``master`` (default ``local[2]``), ``driver_memory``, ``shuffle_partitions``,
            ``java_options`` (extra driver JVM flags; default for a local master: C1-only
            JIT, which starts faster) and any ``spark.*`` setting passed to the session.

    Raises:
        UsageError: PySpark is not installed.
    """

    name = "spark"
    dialect = "spark"
    capabilities = frozenset({CAP_COMPUTE})

    def __init__(self, path: Path, options: dict[str, Any]) -> None:
        if not pyspark_available():
            raise UsageError("The Spark engine needs PySpark, which is not installed.",
                             hint=INSTALL_HINT)
        root = path.parent if path.is_file() or path.suffix == ".duckdb" else path
        self.scratch = root / ".spark" / uuid.uuid4().hex[:12]
        self.options = dict(options)
        self._session: Any = None
        self._owns_context = False

    # -- the session -------------------------------------------------------------------
    def _conf(self) -> dict[str, str]:
        conf = dict(_CONF)
        conf["spark.sql.warehouse.dir"] = str(self.scratch / "spark-warehouse")
        conf["spark.local.dir"] = str(self.scratch / "tmp")
        if "shuffle_partitions" in self.options:
            conf["spark.sql.shuffle.partitions"] = str(int(self.options["shuffle_partitions"]))
        if self.options.get("driver_memory"):
            conf["spark.driver.memory"] = str(self.options["driver_memory"])
        conf.update({k: str(v) for k, v in self.options.items() if k.startswith("spark.")})
        master = str(self.options.get("master", "local[2]"))
        java = str(self.options.get("java_options", _LOCAL_JAVA if master.startswith("local") else ""))
        log4j = self.scratch / "log4j2.properties"
        conf["spark.driver.extraJavaOptions"] = " ".join(
            o for o in (f"-Dlog4j2.configurationFile={log4j.as_uri()}", java,
                        conf.get("spark.driver.extraJavaOptions", "")) if o)
        return conf

    @property
    def session(self) -> Any:
        """The Spark session, started on first use (a JVM start takes several seconds)."""
        if self._session is None:
            from pyspark.sql import SparkSession

            self.scratch.mkdir(parents=True, exist_ok=True)
            (self.scratch / "log4j2.properties").write_text(_LOG4J2, encoding="utf-8")
            # The driver must not listen on the machine's public address.
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            active = SparkSession.getActiveSession()
            if active is not None:
                # Another engine (or the caller) runs Spark in this process: share its
                # context, keep our temporary views apart, never stop it.
                session = active.newSession()
            else:
                builder = SparkSession.builder.master(str(self.options.get("master", "local[2]")))
                builder = builder.appName("portrait")
                for key, value in self._conf().items():
                    builder = builder.config(key, value)
                with warnings.catch_warnings():
                    # PySpark warns about the installed pandas on start; it never uses it here.
                    warnings.filterwarnings("ignore", message=".*pandas", category=FutureWarning)
                    session = builder.getOrCreate()
                self._owns_context = True
                session.sparkContext.setLogLevel("ERROR")
            for key in ("spark.sql.session.timeZone", "spark.sql.ansi.enabled",
                        "spark.sql.parquet.outputTimestampType", "spark.sql.shuffle.partitions"):
                session.conf.set(key, self._conf()[key])
            _quiet_python_loggers()
            self._session = session
        return self._session

    @property
    def started(self) -> bool:
        return self._session is not None

    # -- SQL ---------------------------------------------------------------------------
    def _frame(self, sql: Sql, params: Sequence[Any] | None) -> Any:
        text = sql if isinstance(sql, str) else sql.sql(dialect="spark")
        if params:
            return self.session.sql(text, args=list(params))
        return self.session.sql(text)

    def execute(self, sql: Sql, params: Sequence[Any] | None = None) -> None:
        self._frame(sql, params).collect()

    def query(self, sql: Sql, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._frame(sql, params).collect()]

    def query_arrow(self, sql: Sql, params: Sequence[Any] | None = None) -> pa.Table:
        frame = self._frame(sql, params)
        to_arrow: Callable[[], pa.Table] | None = getattr(frame, "toArrow", None)  # PySpark ≥ 4.0
        if to_arrow is not None:
            return to_arrow()
        batches = frame._collect_as_arrow()  # PySpark 3.5
        return pa.Table.from_batches(batches) if batches else pa.table({})

    def write_arrow(self, name: str, data: pa.Table, *, append: bool = False) -> None:
        """Create (or append to) temporary view ``name`` from Arrow data (kept as Parquet)."""
        folder = self.scratch / "views" / _view_name(name)
        if not append and folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(data, folder / f"part-{uuid.uuid4().hex}.parquet")
        self.session.read.parquet(str(folder)).createOrReplaceTempView(name)

    def has_table(self, name: str) -> bool:
        return bool(self.session.catalog.tableExists(name))

    def columns(self, name: str) -> dict[str, str]:
        fields = self.session.table(name).schema.fields
        return {str(f.name): str(f.dataType.simpleString()).upper() for f in fields}

    # -- what only the warehouse does -----------------------------------------------------
    def ensure_canonical_tables(self) -> None:
        raise UsageError(_NOT_A_WAREHOUSE.format(what="the warehouse"), hint=_NOT_A_WAREHOUSE_HINT)

    def reset_staging(self) -> None:
        raise UsageError(_NOT_A_WAREHOUSE.format(what="ingest staging"), hint=_NOT_A_WAREHOUSE_HINT)

    def publish(self, items: Sequence[PublishItem], finalize: Callable[[Engine], None]) -> None:
        raise UsageError(_NOT_A_WAREHOUSE.format(what="publishing"), hint=_NOT_A_WAREHOUSE_HINT)

    def get_meta(self, key: str) -> str | None:
        raise UsageError(_NOT_A_WAREHOUSE.format(what="workspace metadata"),
                         hint=_NOT_A_WAREHOUSE_HINT)

    def set_meta(self, key: str, value: str) -> None:
        raise UsageError(_NOT_A_WAREHOUSE.format(what="workspace metadata"),
                         hint=_NOT_A_WAREHOUSE_HINT)

    # -- compute -------------------------------------------------------------------------
    def materialize(self, sql: str, inputs: Sequence[str], warehouse: Engine, target: str) -> None:
        """Run ``sql`` (Spark SQL) over the warehouse's tables ``inputs``; store it as ``target``.

        Each input (and any other warehouse table the query names: the caller's list may
        leave out the customers base table) is exported to Parquet and registered as a
        temporary view under its table name; the result is written as Parquet and imported
        by the warehouse, replacing ``target``. Scratch files and views are removed after.

        Raises:
            UsageError: The warehouse cannot exchange Parquet files.
        """
        if CAP_PARQUET not in warehouse.capabilities or not isinstance(warehouse, ParquetExchange):
            raise UsageError(f"The Spark engine reads the warehouse through Parquet files, which "
                             f"the {warehouse.name!r} engine cannot write.",
                             hint="Use a DuckDB warehouse (the default).")
        session = self.session
        run = self.scratch / f"run-{uuid.uuid4().hex[:12]}"
        (run / "in").mkdir(parents=True)
        views: list[str] = []
        try:
            named = [t for t in tables_read(sql) if t not in inputs and warehouse.has_table(t)]
            for table in dict.fromkeys([*inputs, *named]):
                view = _view_name(table)
                file = run / "in" / f"{view}.parquet"
                warehouse.export_parquet(table, file)
                session.read.parquet(str(file)).createOrReplaceTempView(view)
                views.append(view)
            session.sql(sql).write.mode("overwrite").parquet(str(run / "out"))
            warehouse.import_parquet(run / "out", target)
        finally:
            for view in views:
                session.catalog.dropTempView(view)
            shutil.rmtree(run, ignore_errors=True)

    def close(self) -> None:
        """Stop the session if this engine started it, and remove the scratch folder."""
        if self._session is not None and self._owns_context:
            self._session.stop()
        self._session = None
        self._owns_context = False
        shutil.rmtree(self.scratch, ignore_errors=True)
        parent = self.scratch.parent
        if parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()


def _open(path: Path, options: dict[str, Any]) -> Engine:
    return SparkEngine(path, options)


register_engine("spark", _open)
