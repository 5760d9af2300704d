"""Policy decisions: what a principal may do and see.

Pure functions over :mod:`portrait.privacy.roles`; nothing here reads the warehouse or
writes the audit log (the services do both around these decisions). Routes and
commands never decide anything themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from portrait.errors import AccessDeniedError
from portrait.privacy import masking
from portrait.privacy.roles import (
    CLEARANCE,
    OWN_CUSTOMER_CLEARANCE,
    PERMISSIONS,
    SENSITIVITIES,
    Action,
    Role,
    level,
)

#: Customer fields that are personal data (stored encrypted; shown masked by default).
PII_FIELDS: tuple[str, ...] = ("name", "national_id", "phone", "email")


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user (or a system through an API key) with one role.

    Attributes:
        name: User name (API keys act as the user that owns them).
        role: The user's role.
        rm_id: Relationship-manager id, for relationship managers (matches
            ``customers.rm_id``).
        via: How they authenticated: ``password``, ``token``, ``api_key`` or ``cli``.
    """

    name: str
    role: Role
    rm_id: str | None = None
    via: str = "token"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role.value, "rm_id": self.rm_id, "via": self.via}


#: How the operator at the command line authenticates: by holding the workspace and its key.
OPERATOR_VIA = "cli"


def allowed(principal: Principal, action: Action) -> bool:
    """Whether the principal may perform the action.

    The operator at the command line may do everything: whoever can open the warehouse
    and its key can read it all anyway, so refusing them would only be theatre. What
    they *see* (PII masking, tag clearance) still follows their role.
    """
    return principal.via == OPERATOR_VIA or action in PERMISSIONS[principal.role]


def require(principal: Principal, action: Action, target: str = "") -> None:
    """Raise unless ``principal`` may perform ``action``.

    Raises:
        AccessDeniedError: The role lacks the permission.
    """
    if not allowed(principal, action):
        where = f" on {target}" if target else ""
        raise AccessDeniedError(
            f"Role {principal.role.value!r} may not {action.value}{where}.",
            hint="Ask an administrator for a role that includes this permission.")


def owns(principal: Principal, customer_rm_id: str | None) -> bool:
    """The principal is the customer's own relationship manager."""
    return (principal.role is Role.RELATIONSHIP_MANAGER and principal.rm_id is not None
            and customer_rm_id is not None and principal.rm_id == customer_rm_id)


def pii_in_clear(principal: Principal, customer_rm_id: str | None) -> bool:
    """PII is shown in clear only to compliance, or to the customer's own relationship manager."""
    return principal.role is Role.COMPLIANCE or owns(principal, customer_rm_id)


def clearance(principal: Principal, customer_rm_id: str | None = None) -> str:
    """The most sensitive tag level the principal sees (on this customer, if given)."""
    if owns(principal, customer_rm_id):
        return OWN_CUSTOMER_CLEARANCE
    return CLEARANCE[principal.role]


def visible_levels(principal: Principal, customer_rm_id: str | None = None) -> tuple[str, ...]:
    top = level(clearance(principal, customer_rm_id))
    return SENSITIVITIES[: top + 1]


def tag_visible(principal: Principal, sensitivity: str, customer_rm_id: str | None = None) -> bool:
    return level(sensitivity) <= level(clearance(principal, customer_rm_id))


def hidden_tags(principal: Principal, sensitivities: Mapping[str, str],
                customer_rm_id: str | None = None) -> list[str]:
    """Names of the tags (name → sensitivity) the principal may not see, sorted."""
    return sorted(n for n, s in sensitivities.items()
                  if not tag_visible(principal, s, customer_rm_id))


def present_pii(principal: Principal, values: Mapping[str, str | None],
                customer_rm_id: str | None) -> tuple[dict[str, str | None], str]:
    """The PII fields in the form the principal may see them.

    Returns:
        The fields (clear or masked) and the form: ``"clear"`` or ``"masked"``.
    """
    if pii_in_clear(principal, customer_rm_id):
        return {f: values.get(f) for f in PII_FIELDS if f in values}, "clear"
    return {f: masking.mask(f, values.get(f)) for f in PII_FIELDS if f in values}, "masked"


def forbidden_tags(names: Iterable[str], sensitivities: Mapping[str, str],
                    principal: Principal) -> list[str]:
    """Tags named in (say) an audience expression that the principal may not use."""
    return sorted({n for n in names if n in sensitivities
                   and not tag_visible(principal, sensitivities[n])})
