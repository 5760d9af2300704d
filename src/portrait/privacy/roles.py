"""Roles, the actions each may take, and the tag sensitivity each may see.

Two tables decide everything; :mod:`portrait.privacy.access` only reads them:

* ``PERMISSIONS`` — role → the actions it may perform (least privilege: an admin
  manages users and sees the catalog, not customers).
* ``CLEARANCE`` — role → the most sensitive tag level it may see on a profile. A
  relationship manager looking at one of their own customers is cleared one level
  higher (``restricted``), because serving that customer needs it.
"""

from __future__ import annotations

from enum import StrEnum

from portrait.errors import UsageError

#: Tag sensitivity levels, least sensitive first (the order clearance compares on).
SENSITIVITIES: tuple[str, ...] = ("public", "internal", "confidential", "restricted")


class Role(StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    MARKETER = "marketer"
    RELATIONSHIP_MANAGER = "relationship_manager"
    COMPLIANCE = "compliance"


class Action(StrEnum):
    """Everything a principal can ask for; routes and commands name one of these."""

    CUSTOMERS_VIEW = "customers.view"
    CUSTOMERS_SEARCH = "customers.search"
    CUSTOMERS_EXPORT = "customers.export"
    CUSTOMERS_CORRECT = "customers.correct"
    CUSTOMERS_ERASE = "customers.erase"
    TAGS_VIEW = "tags.view"
    AUDIENCES_COUNT = "audiences.count"
    AUDIENCES_SAVE = "audiences.save"
    AUDIENCES_EXPORT = "audiences.export"
    SEGMENTS_VIEW = "segments.view"
    MODELS_VIEW = "models.view"
    CAMPAIGNS_VIEW = "campaigns.view"
    CAMPAIGNS_PLAN = "campaigns.plan"
    CAMPAIGNS_LAUNCH = "campaigns.launch"
    AUDIT_VIEW = "audit.view"
    USERS_MANAGE = "users.manage"


_ALL_READ = {Action.TAGS_VIEW}
PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(_ALL_READ | {Action.USERS_MANAGE, Action.MODELS_VIEW}),
    Role.ANALYST: frozenset(_ALL_READ | {
        Action.CUSTOMERS_VIEW, Action.CUSTOMERS_SEARCH, Action.AUDIENCES_COUNT,
        Action.AUDIENCES_SAVE, Action.SEGMENTS_VIEW, Action.MODELS_VIEW, Action.CAMPAIGNS_VIEW}),
    Role.MARKETER: frozenset(_ALL_READ | {
        Action.CUSTOMERS_VIEW, Action.CUSTOMERS_SEARCH, Action.AUDIENCES_COUNT,
        Action.AUDIENCES_SAVE, Action.AUDIENCES_EXPORT, Action.SEGMENTS_VIEW,
        Action.CAMPAIGNS_VIEW, Action.CAMPAIGNS_PLAN, Action.CAMPAIGNS_LAUNCH}),
    Role.RELATIONSHIP_MANAGER: frozenset(_ALL_READ | {
        Action.CUSTOMERS_VIEW, Action.CUSTOMERS_SEARCH}),
    Role.COMPLIANCE: frozenset(_ALL_READ | {
        Action.CUSTOMERS_VIEW, Action.CUSTOMERS_SEARCH, Action.CUSTOMERS_EXPORT,
        Action.CUSTOMERS_CORRECT, Action.CUSTOMERS_ERASE, Action.MODELS_VIEW,
        Action.CAMPAIGNS_VIEW, Action.AUDIT_VIEW}),
}

#: The most sensitive tag level each role sees on a customer's profile.
CLEARANCE: dict[Role, str] = {
    Role.ADMIN: "internal",
    Role.ANALYST: "confidential",
    Role.MARKETER: "internal",
    Role.RELATIONSHIP_MANAGER: "confidential",
    Role.COMPLIANCE: "restricted",
}
#: Clearance of a relationship manager for the customers they manage.
OWN_CUSTOMER_CLEARANCE = "restricted"


def parse_role(text: str) -> Role:
    """The role called ``text``.

    Raises:
        UsageError: No role has that name.
    """
    try:
        return Role(text)
    except ValueError:
        raise UsageError(f"Unknown role {text!r}.",
                         hint=f"Roles: {', '.join(r.value for r in Role)}.") from None


def level(sensitivity: str) -> int:
    """Rank of a sensitivity level (0 = public); unknown levels rank as restricted."""
    return SENSITIVITIES.index(sensitivity) if sensitivity in SENSITIVITIES else len(SENSITIVITIES) - 1
