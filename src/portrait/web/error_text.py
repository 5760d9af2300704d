"""Service errors in the page's language.

The services raise errors with English messages and hints (the CLI and the API show
them as they are). A page in Chinese shows a message the reader can act on: the errors
the pages meet are recognised by their form (``Role 'marketer' may not audit.view on
audit_log.``) and rendered from the message catalog with the same values, codes among
them translated (the role, the action, the sensitivity level). A message of no known
form is shown by its kind (``errmsg.kind.NotFoundError``) with the English text kept as
a second line, so nothing the service said is lost. English pages show the service's
text unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from portrait.web.i18n import Translator

#: (form of the message's first line, catalog key); named groups fill the message, and
#: groups called ``role``, ``action``, ``level`` are translated first.
MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), k) for p, k in (
    (r"^Role '(?P<role>[^']+)' may not (?P<action>[\w.]+) on (?P<target>.+)\.$",
     "errmsg.role_may_not_on"),
    (r"^Role '(?P<role>[^']+)' may not (?P<action>[\w.]+)\.$", "errmsg.role_may_not"),
    (r"^Tag '(?P<tag>[^']+)' is (?P<level>\w+); role '(?P<role>[^']+)' may not select customers "
     r"by it \(line (?P<line>\d+), column (?P<column>\d+)\)\.$", "errmsg.tag_above_clearance"),
    (r"^Tag '(?P<tag>[^']+)' is (?P<level>\w+); role '(?P<role>[^']+)' may not use it in a "
     r"campaign spec \((?P<where>.+)\)\.$", "errmsg.tag_above_clearance_spec"),
    (r"^You may not export the tag '(?P<tag>[^']+)'\.$", "errmsg.may_not_export_tag"),
    (r"^Customer '(?P<id>[^']+)' not found\.$", "errmsg.customer_not_found"),
    (r"^Customer '(?P<id>[^']+)' is not in the snapshot as of (?P<date>[\d-]+)\.$",
     "errmsg.customer_not_in_snapshot"),
    (r"^No campaign '(?P<id>[^']+)'\.$", "errmsg.no_campaign"),
    (r"^No model '(?P<name>[^']+)'(?: in .+)?\.$", "errmsg.no_model"),
    (r"^No tag '(?P<tag>[^']+)'.*$", "errmsg.unknown_tag"),
    (r"^Unknown tag '(?P<tag>[^']+)'(?: in --tags)?\.$", "errmsg.unknown_tag"),
    (r"^Tag '(?P<tag>[^']+)' is not in this snapshot \((?P<why>.+)\)\.$",
     "errmsg.tag_not_in_snapshot"),
    (r"^The workspace has no tag snapshot yet\.$", "errmsg.no_snapshot"),
    (r"^No tag snapshot.*$", "errmsg.no_snapshot"),
    (r"^No segments for the snapshot as of (?P<date>[\d-]+).*$", "errmsg.no_segments"),
    (r"^No propensity models are registered\.$", "errmsg.no_models"),
    (r"^No registered models to score with\.$", "errmsg.no_models"),
    (r"^The expression is empty\.$", "errmsg.expr_empty"),
    (r"^The expression ends too early\.$", "errmsg.expr_ends_early"),
    (r"^Unexpected character (?P<char>.+)\.$", "errmsg.expr_unexpected_char"),
    (r"^Unexpected (?P<token>'.*')\.$", "errmsg.expr_unexpected"),
    (r"^(?P<value>.+) is not (?:a level|a value|an element|one of the values) of "
     r"'(?P<tag>[^']+)'\.$", "errmsg.not_a_value"),
    (r"^An audience named '(?P<name>[^']+)' already exists\.$", "errmsg.audience_exists"),
    (r"^'(?P<name>.*)' is not a valid audience name\.$", "errmsg.audience_name"),
    (r"^No saved audience named '(?P<name>[^']+)'\.$", "errmsg.no_saved_audience"),
    (r"^The date range starts \((?P<since>[^)]+)\) after it ends \((?P<until>[^)]+)\)\.$",
     "errmsg.date_range"),
    (r"^Invalid campaign spec\.$", "errmsg.invalid_spec"),
    # the audit chain's verification (portrait.privacy.audit.verify)
    (r"^entry (?P<seq>\d+) was modified$", "errmsg.chain_modified"),
    (r"^entry (?P<seq>\d+) is missing \(next found: (?P<next>\d+)\)$", "errmsg.chain_missing"),
    (r"^entry (?P<seq>\d+) is duplicated \(next found: (?P<next>\d+)\)$",
     "errmsg.chain_duplicated"),
    (r"^entry (?P<seq>\d+) does not link to entry (?P<prev>\d+)$", "errmsg.chain_unlinked"),
    (r"^the log ends at entry (?P<last>\d+) but its recorded head is entry (?P<head>\d+): .*$",
     "errmsg.chain_head"),
    (r"^the recorded head of the chain is missing$", "errmsg.chain_head_missing"),
))
#: Hints, by their form.
HINTS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), k) for p, k in (
    (r"^Ask an administrator for a role that includes this permission\.$", "hint.ask_admin"),
    (r"^Use tags of your clearance; see the tag catalog\.$", "hint.use_cleared_tags"),
    (r"^Leave it out of --tags, or ask for access to it\.$", "hint.use_cleared_tags"),
    (r"^Search with GET /api/customers\?q=… or check the id\.$", "hint.search_customer"),
    (r"^Check the customer id\.$", "hint.search_customer"),
    (r"^See (?:the campaign list|GET /api/campaigns)\.$", "hint.see_campaigns"),
    (r"^See GET /api/models\.$", "hint.see_models"),
    (r"^(?:Build one with|Build tags first:|Run) `portrait tags build`\.$", "hint.build_tags"),
    (r"^Fit them: `(?P<command>portrait segments fit[^`]*)`\.$", "hint.fit_segments"),
    (r"^Train them with `portrait models train`\.$", "hint.train_models"),
    (r"^Quote text values with single quotes: 'F'\.$", "hint.quote_values"),
    (r"^Tags are snake_case names; text values go in single quotes\.$", "hint.snake_case"),
    (r"^Write a condition such as (?P<example>.+)\.$", "hint.write_condition"),
    (r"^Pick another name, or pass --replace to overwrite it\.$", "hint.pick_another_name"),
    (r"^Use letters, digits, '_', '-' or '\.' \(e\.g\. (?P<example>[^)]+)\)\.$",
     "hint.audience_name"),
    (r"^Swap the two dates\.$", "hint.swap_dates"),
    (r"^Did you mean (?P<names>[^?]+)\?$", "hint.did_you_mean"),
    (r"^Expected (?P<expected>.+)\.$", "hint.expected"),
))
#: Words of the expression parser's "Expected …" hint (:mod:`portrait.audience.expr`).
EXPECTED = {"a comparison (= != < <= > >=)": "comparison", "a tag name": "tag_name",
            "a quoted value": "quoted_value", "a number": "number"}
#: The position an expression error appends to its first line (shown apart by the builder).
POSITION = re.compile(r" \(line \d+, column \d+\)$")
#: Named groups holding codes, and the catalog prefix that translates them.
CODES = {"role": "role", "action": "action", "level": "sensitivity"}


@dataclass(frozen=True)
class Shown:
    """An error as a page shows it.

    Attributes:
        message: The first line, in the page's language when its form is known.
        detail: The service's own text, when ``message`` could not render all of it.
        hint: How to fix it, translated when its form is known (else as the service said).
        kind: The error's class name.
    """

    message: str
    detail: str | None
    hint: str | None
    kind: str

    def as_dict(self) -> dict[str, Any]:
        return {"message": self.message, "detail": self.detail, "hint": self.hint,
                "kind": self.kind}


def _render(tr: Translator, forms: tuple[tuple[re.Pattern[str], str], ...],
            text: str) -> str | None:
    text = POSITION.sub("", text)
    for pattern, key in forms:
        found = pattern.match(text)
        if found is None or not tr.has(key):
            continue
        values = {name: tr.label(CODES[name], value) if name in CODES else value
                  for name, value in found.groupdict(default="").items()}
        if key == "hint.expected":
            values["expected"] = _expected(tr, values["expected"])
        return tr(key, **values)
    return None


def _expected(tr: Translator, listed: str) -> str:
    parts = [p.strip() for p in re.split(r", (?![^()]*\))", listed)]
    sep = "、" if tr.lang == "zh" else ", "
    return sep.join(tr(f"expected.{EXPECTED[p]}") if p in EXPECTED else p for p in parts)


def rendered(tr: Translator, text: str) -> str | None:
    """``text`` rendered from the catalog in the translator's language (English too), or
    None when it has no known form; for texts that are not the service's own words to the
    user, such as the audit chain's verification problems."""
    return _render(tr, MESSAGES, text)


def message(tr: Translator, text: str) -> str | None:
    """``text`` (one line of a service message) in the translator's language, or None
    when it has no known form. English text is returned unchanged."""
    if tr.lang == "en":
        return text
    return _render(tr, MESSAGES, text)


def hint(tr: Translator, text: str | None) -> str | None:
    """A service's hint in the translator's language (as it is when of no known form)."""
    if not text or tr.lang == "en":
        return text
    return _render(tr, HINTS, text) or text


def shown(tr: Translator, error: Exception, *, kind: str | None = None) -> Shown:
    """How a page shows ``error`` (a :class:`portrait.errors.PortraitError` or any error
    with a ``message``)."""
    name = kind or type(error).__name__
    text = str(getattr(error, "message", None) or error)
    first, _, rest = text.partition("\n")
    translated = message(tr, first.strip())
    if translated is None:
        generic = f"errmsg.kind.{name}"
        return Shown(tr(generic) if tr.has(generic) else tr("errmsg.kind.other"), text,
                     hint(tr, getattr(error, "hint", None)), name)
    return Shown(translated, rest.strip() or None, hint(tr, getattr(error, "hint", None)), name)
