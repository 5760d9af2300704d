"""Loading mapping files: YAML → :class:`MappingSpec` → checked against the schema.

``load_mapping`` accepts a path or the name of a mapping shipped in
``portrait/ingest/mappings/``. Every error names the mapping file and the field path,
e.g. ``bank_marketing.yaml: tables.customers.columns.gender.map.Male: 'Man' is not one
of: M, F``; all problems of a file are reported at once.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from portrait.errors import DefinitionError
from portrait.ingest.mapping import (
    AttributeSpec,
    MappingSpec,
    SourceColumn,
    SourceSpec,
    TableSpec,
    ValueSpec,
)
from portrait.schema import TABLES, Table

MAPPINGS_DIR = Path(__file__).parent / "mappings"

_TABLES: dict[str, Table] = {t.name: t for t in TABLES}


class _Loader(yaml.SafeLoader):
    """YAML with fewer surprises for code tables.

    PyYAML follows YAML 1.1, where ``yes``/``no``/``on``/``off`` are booleans, ``010``
    is octal and ``2020-01-01`` a date. In a value map those would silently stop
    matching the text in the file, so here only ``true``/``false`` are booleans, only
    numbers written in their canonical form are numbers, and everything else stays text.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag.rsplit(":", 1)[-1] not in {"bool", "int", "float", "timestamp"}]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool",
                              re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_NUMBER_TAG = "tag:portrait,2024:number"
_Loader.add_implicit_resolver(_NUMBER_TAG, re.compile(r"^[-+]?[0-9.][0-9._eE+-]*$"),
                              list("-+0123456789."))


def _construct_number(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int | float | str:
    text = str(loader.construct_scalar(node))
    for kind in (int, float):
        try:
            value = kind(text)
        except ValueError:
            continue
        if str(value) == text:
            return value
    return text


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, list | dict):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a single value", key_node.start_mark)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return dict(loader.construct_mapping(node, deep=True))


_Loader.add_constructor(_NUMBER_TAG, _construct_number)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def shipped_mappings() -> list[str]:
    """Names of the mappings shipped with Portrait (usable instead of a path)."""
    return sorted(p.stem for p in MAPPINGS_DIR.glob("*.yaml"))


def _locate(mapping: Path | str) -> tuple[Path, str]:
    if isinstance(mapping, str) and not mapping.endswith((".yaml", ".yml")) \
            and "/" not in mapping and "\\" not in mapping and not Path(mapping).exists():
        if mapping not in shipped_mappings():
            close = difflib.get_close_matches(mapping, shipped_mappings(), n=1)
            hint = (f"Did you mean {close[0]!r}?" if close else
                    f"Shipped mappings: {', '.join(shipped_mappings())}; or give a file path.")
            raise DefinitionError(f"Unknown mapping {mapping!r}.", hint=hint)
        path = MAPPINGS_DIR / f"{mapping}.yaml"
        return path, path.name
    path = Path(mapping)
    return path, str(path)


def _loc(parts: tuple[int | str, ...]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


_KNOWN_KEYS = sorted({field.alias or name
                      for model in (SourceColumn, SourceSpec, AttributeSpec, TableSpec, MappingSpec)
                      for name, field in model.model_fields.items()})


def _pydantic_problems(error: ValidationError) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for err in error.errors():
        loc = tuple(err["loc"])
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            close = difflib.get_close_matches(str(loc[-1]), _KNOWN_KEYS, n=1)
            message = "unknown key" + (f"; did you mean {close[0]!r}?" if close else "")
        problems.append((_loc(loc), message))
    return problems


def _not_in(value: str, allowed: tuple[str, ...]) -> str:
    return f"{value!r} is not one of: {', '.join(allowed)}"


def _schema_problems(spec: MappingSpec) -> list[tuple[str, str]]:
    """What the canonical schema says about the mapping (names, required columns, enums)."""
    problems: list[tuple[str, str]] = []
    for tname, tspec in spec.tables.items():
        at = f"tables.{tname}"
        table = _TABLES.get(tname)
        if table is None:
            close = difflib.get_close_matches(tname, _TABLES, n=1)
            problems.append((at, "unknown canonical table" + (
                f"; did you mean {close[0]!r}?" if close else f" (tables: {', '.join(_TABLES)})")))
            continue
        names = [c for c in table.column_names if c != "attributes"]
        has_attributes = "attributes" in table.column_names
        for cname, vspec in tspec.columns.items():
            path = f"{at}.columns.{cname}"
            if cname == "attributes" and has_attributes:
                problems.append((path, "list source columns under the table's `attributes:`"))
            elif cname not in names:
                close = difflib.get_close_matches(cname, names, n=1)
                problems.append((path, f"{tname} has no column {cname!r}" + (
                    f"; did you mean {close[0]!r}?" if close else f" (columns: {', '.join(names)})")))
            else:
                problems.extend(_enum_problems(table, cname, vspec, path))
        if tspec.attributes and not has_attributes:
            problems.append((f"{at}.attributes", f"{tname} has no attributes column"))
        seen: set[str] = set()
        for i, attr in enumerate(tspec.attributes):
            if attr.key in seen:
                problems.append((f"{at}.attributes[{i}]", f"attribute {attr.key!r} given twice"))
            seen.add(attr.key)
        required = [c.name for c in table.columns if c.required]
        if tspec.rows is None:
            missing = [c for c in required if c not in tspec.columns]
            if missing:
                problems.append((f"{at}.columns", f"required column(s) of {tname} not mapped: "
                                 f"{', '.join(missing)}"))
        for i, row in enumerate(tspec.rows or []):
            problems.extend(_row_problems(table, row, f"{at}.rows[{i}]", required))
    return problems


def _enum_problems(table: Table, cname: str, vspec: ValueSpec, path: str) -> list[tuple[str, str]]:
    enum = table.column(cname).enum
    if not enum:
        return []
    problems = [(f"{path}.map.{key}", _not_in(value, enum))
                for key, value in (vspec.map or {}).items() if value is not None and value not in enum]
    if vspec.map_default is not None and vspec.map_default not in enum:
        problems.append((f"{path}.map_default", _not_in(vspec.map_default, enum)))
    if vspec.kind == "value" and vspec.map is None and vspec.value is not None \
            and str(vspec.value) not in enum:
        problems.append((f"{path}.value", _not_in(str(vspec.value), enum)))
    return problems


def _row_problems(table: Table, row: dict[str, Any], path: str, required: list[str]
                  ) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for cname, value in row.items():
        if cname not in table.column_names:
            close = difflib.get_close_matches(cname, table.column_names, n=1)
            problems.append((f"{path}.{cname}", f"{table.name} has no column {cname!r}" + (
                f"; did you mean {close[0]!r}?" if close else "")))
        elif (cname == "attributes") != isinstance(value, dict):
            problems.append((f"{path}.{cname}", "attributes is a mapping of keys to values"
                             if cname == "attributes" else "must be a single value"))
        elif (enum := table.column(cname).enum) and value is not None and str(value) not in enum:
            problems.append((f"{path}.{cname}", _not_in(str(value), enum)))
    missing = [c for c in required if row.get(c) is None]
    if missing:
        problems.append((path, f"required column(s) of {table.name} missing: {', '.join(missing)}"))
    return problems


def _fail(label: str, problems: list[tuple[str, str]], hint: str | None = None) -> DefinitionError:
    lines = [f"{label}: {path}: {message}" for path, message in problems]
    return DefinitionError("\n".join(lines), hint=hint)


def load_mapping(mapping: Path | str) -> MappingSpec:
    """Read, validate and check a mapping file against the canonical schema.

    Args:
        mapping: A path to a YAML file, or the name of a shipped mapping
            (see :func:`shipped_mappings`).

    Returns:
        The validated spec (not yet bound to a file's header).

    Raises:
        DefinitionError: The file is missing, not YAML, or invalid; the message names
            the file and every invalid field's path.
    """
    path, label = _locate(mapping)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DefinitionError(f"{label}: mapping file not found.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(f"{label}: cannot read the mapping file ({exc}).") from exc
    try:
        raw = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise _fail(label, [(where, f"not valid YAML: {problem}")]) from None
    if not isinstance(raw, dict):
        raise _fail(label, [("(top level)", "a mapping file is a YAML mapping with `tables:`")])
    try:
        spec = MappingSpec.model_validate(raw)
    except ValidationError as exc:
        raise _fail(label, _pydantic_problems(exc),
                    hint="See docs/mapping-files.md for the mapping format.") from None
    problems = _schema_problems(spec)
    if problems:
        raise _fail(label, problems, hint="Canonical tables and columns: docs/data-model.md.")
    return spec.with_origin(label, path)
