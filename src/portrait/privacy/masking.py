"""Masking of personal data for people who may not see it in clear.

Each mask keeps just enough to recognise a value on the phone with the customer
(the last four digits, the family name) and nothing that identifies them alone.
Masks never fail: an unexpected shape is masked entirely.
"""

from __future__ import annotations

from collections.abc import Callable

FULL = "***"


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``: keep the prefix (carrier) and the last four digits."""
    digits = value.strip()
    if len(digits) < 8:
        return FULL
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_name(value: str) -> str:
    """``张三`` → ``张*``, ``欧阳娜娜`` → ``欧***``, ``John Smith`` → ``J*** S****``.

    Chinese names keep the first character (the family name in most cases); names
    written with spaces keep each part's initial.
    """
    name = value.strip()
    if not name:
        return FULL
    if " " in name:
        return " ".join(p[0] + "*" * (len(p) - 1) for p in name.split())
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_email(value: str) -> str:
    """``alice@x.com`` → ``a***@x.com``: the first letter of the mailbox and the domain."""
    local, at, domain = value.strip().partition("@")
    if not at or not local or not domain:
        return FULL
    return f"{local[0]}***@{domain}"


def mask_national_id(value: str) -> str:
    """``110101199001011234`` → ``110***********1234``: region prefix and last four."""
    text = value.strip()
    if len(text) < 8:
        return FULL
    return f"{text[:3]}{'*' * (len(text) - 7)}{text[-4:]}"


MASKS: dict[str, Callable[[str], str]] = {
    "phone": mask_phone,
    "name": mask_name,
    "email": mask_email,
    "national_id": mask_national_id,
}


def mask(field: str, value: str | None) -> str | None:
    """Mask ``value`` of PII field ``field``; ``None`` stays ``None``, unknown fields are hidden."""
    if value is None:
        return None
    masker = MASKS.get(field)
    return masker(value) if masker is not None else FULL
