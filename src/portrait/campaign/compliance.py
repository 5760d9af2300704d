"""Content compliance: campaign messages checked against the shipped rule file.

The rules (``src/portrait/campaign/rules/compliance.yaml``) are data: forbidden promises
for non-deposit products (保本, 稳赚, guaranteed return …), the risk notice wealth and
fund messages must carry (理财非存款、产品有风险、投资须谨慎), and no personal data beyond
the salutation. :func:`check` returns every violation with the rule and the offending
text; a launch with any violation is refused.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from portrait.errors import DefinitionError

LANGUAGES = ("zh", "en")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AppliesTo(_Strict):
    categories: list[str] | None = None
    except_categories: list[str] | None = None

    def matches(self, category: str | None) -> bool:
        if self.categories is not None and category not in self.categories:
            return False
        return not (self.except_categories is not None and category in self.except_categories)


class Pattern(_Strict):
    label: str
    regex: str


class Rule(_Strict):
    id: str
    title: dict[str, str]
    applies_to: AppliesTo = Field(default_factory=AppliesTo)
    forbid_terms: dict[str, list[str]] = Field(default_factory=dict)
    require_text: dict[str, str] = Field(default_factory=dict)
    allow_placeholders: list[str] = Field(default_factory=list)
    forbid_placeholders: list[str] = Field(default_factory=list)
    forbid_sensitivity: list[str] = Field(default_factory=list)
    forbid_patterns: list[Pattern] = Field(default_factory=list)


class RuleFile(_Strict):
    rules: list[Rule]


@dataclass(frozen=True)
class Violation:
    """One breach of a rule in one language's template."""

    rule: str
    title: str
    language: str
    offending: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "title": self.title, "language": self.language,
                "offending": self.offending, "message": self.message}


def load_rules(path: Path | None = None) -> list[Rule]:
    """The rules of ``path``, or of the file shipped with the package.

    Raises:
        DefinitionError: The file is not valid YAML or does not match the rule schema.
    """
    if path is None:
        return list(_shipped())
    return _parse(path.read_text(encoding="utf-8"), str(path))


@cache
def _shipped() -> tuple[Rule, ...]:
    ref = resources.files("portrait.campaign").joinpath("rules/compliance.yaml")
    return tuple(_parse(ref.read_text(encoding="utf-8"), "portrait/campaign/rules/compliance.yaml"))


def _parse(text: str, origin: str) -> list[Rule]:
    try:
        raw: Any = yaml.safe_load(text)
        return RuleFile.model_validate(raw).rules
    except yaml.YAMLError as exc:
        raise DefinitionError(f"{origin} is not valid YAML: {exc}") from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise DefinitionError(f"{origin}: field {where}: {err['msg']}") from exc


def placeholders(template: str) -> list[str]:
    """Names of the ``{placeholders}`` of a template, in order of appearance."""
    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


def _squeeze(text: str) -> str:
    """Lower case without spaces and punctuation, so notices match whatever separators."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).lower()
                   if not (ch.isspace() or unicodedata.category(ch).startswith("P")))


def _find_term(text: str, term: str, language: str) -> str | None:
    if language == "en":
        match = re.search(rf"(?<![A-Za-z]){re.escape(term)}(?![A-Za-z])", text, re.IGNORECASE)
    else:
        match = re.search(re.escape(term), text, re.IGNORECASE)
    return None if match is None else match.group(0)


def _check_rule(rule: Rule, language: str, text: str, sensitivity: dict[str, str]) -> list[Violation]:
    title = rule.title.get(language) or rule.title.get("en") or rule.id
    found: list[Violation] = []

    def add(offending: str, message: str) -> None:
        found.append(Violation(rule.id, title, language, offending, message))

    for term in rule.forbid_terms.get(language, []):
        hit = _find_term(text, term, language)
        if hit is not None:
            add(hit, f"the {language} message promises {hit!r}")
    notice = rule.require_text.get(language)
    if notice is not None and _squeeze(notice) not in _squeeze(text):
        add(notice, f"the {language} message lacks the risk notice {notice!r}")
    for name in placeholders(text):
        if name in rule.allow_placeholders:
            continue
        if name in rule.forbid_placeholders:
            add("{" + name + "}", f"placeholder {{{name}}} puts personal data into the message")
        elif sensitivity.get(name) in rule.forbid_sensitivity:
            add("{" + name + "}", f"placeholder {{{name}}} is a {sensitivity[name]} tag")
    taken: list[tuple[int, int]] = []  # an 18-digit ID is not also reported as a card number
    for pattern in rule.forbid_patterns:
        for match in re.finditer(pattern.regex, text):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            taken.append(match.span())
            add(match.group(0), f"the {language} message contains a {pattern.label}")
    return found


def check(templates: dict[str, str], *, category: str | None,
          sensitivity: dict[str, str] | None = None, rules: list[Rule] | None = None) -> list[Violation]:
    """Every violation of the rules by the templates of one campaign.

    Args:
        templates: Message per language (``zh``, ``en``).
        category: Product category of the campaign's objective (decides which rules apply).
        sensitivity: Sensitivity level of each tag that may be a placeholder.
        rules: Rules to apply (default: the shipped rule file).
    """
    applied = load_rules() if rules is None else rules
    out: list[Violation] = []
    for rule in applied:
        if not rule.applies_to.matches(category):
            continue
        for language, text in templates.items():
            out.extend(_check_rule(rule, language, text, sensitivity or {}))
    return out
