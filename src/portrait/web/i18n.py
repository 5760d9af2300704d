"""The web pages' two languages: message catalogs and how a request picks one.

Every string a page shows comes from ``messages/<lang>.yaml`` (nested keys, read as
dotted names such as ``nav.customers``); tag titles come from the tag specs' own
``title.zh`` / ``title.en``. A page asks for its language once per request: the
``lang`` query parameter wins (and is remembered in a cookie), then the ``lang``
cookie, then the browser's ``Accept-Language``, then Chinese.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT = "zh"
COOKIE = "lang"
MESSAGES = Path(__file__).parent / "messages"


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat


@cache
def catalog(lang: str) -> dict[str, str]:
    """Every message of one language, by dotted key."""
    path = MESSAGES / f"{lang}.yaml"
    return _flatten(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


class Translator:
    """Looks messages up in one language.

    A missing key renders as the key itself (visible on the page, and caught by the
    test that both catalogs hold the same keys) rather than failing the request.
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT
        self._messages = catalog(self.lang)

    def __call__(self, key: str, **values: Any) -> str:
        text = self._messages.get(key, key)
        return text.format(**values) if values else text

    def value(self, raw: Any, tag: str | None = None) -> str:
        """A tag value (or any code value) as shown: booleans and known codes translated,
        the rest as is.

        A code is looked up as ``tagcode.<tag>.<code>`` first when the tag is known (the
        same code can mean different things: ``none`` is "never" for the login frequency
        and "no income" for the income stability), then as ``code.<code>``; a code with
        neither (a city, a product id) is shown raw.
        """
        if raw is None:
            return self("value.none")
        if isinstance(raw, bool):
            return self("value.true" if raw else "value.false")
        if isinstance(raw, list | tuple):
            if not raw:
                return self("value.none")
            return "、".join(self.value(v, tag) for v in raw) if self.lang == "zh" else \
                ", ".join(self.value(v, tag) for v in raw)
        if isinstance(raw, float):
            return f"{raw:,.2f}"
        if isinstance(raw, int):
            return f"{raw:,}"
        text = str(raw)
        if tag:
            found = self._messages.get(f"tagcode.{tag}.{text}")
            if found is not None:
                return found
        return self._messages.get(f"code.{text}", text)

    def label(self, prefix: str, raw: Any) -> str:
        """``<prefix>.<raw>`` translated (an audit action, an outcome, a tag kind), else raw."""
        text = "" if raw is None else str(raw)
        return self._messages.get(f"{prefix}.{text}", text)

    def has(self, key: str) -> bool:
        return key in self._messages

    def title(self, spec_title: Any) -> str:
        """A tag title (an object with ``en`` and ``zh``, or a mapping) in this language."""
        if isinstance(spec_title, dict):
            return str(spec_title.get(self.lang) or spec_title.get("en") or "")
        return str(getattr(spec_title, self.lang, "") or getattr(spec_title, "en", ""))


def pick(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The language for a request (see the module docstring for the order)."""
    for choice in (query, cookie):
        if choice in LANGUAGES:
            return str(choice)
    if accept_language:
        for part in accept_language.split(","):
            code = part.split(";")[0].strip().lower()[:2]
            if code in LANGUAGES:
                return code
    return DEFAULT
