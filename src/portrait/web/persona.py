"""The customer-360 page's view of a profile: avatar, persona card, timeline, product shelf.

Pure functions over the dictionary :func:`portrait.services.profile360.customer_profile`
returns (already filtered and masked for the principal); nothing here decides what
someone may see — a field the service left out is simply not shown.
"""

from __future__ import annotations

from typing import Any

#: Tag families in the order the page shows them.
FAMILY_ORDER: tuple[str, ...] = ("basic", "economic", "preference", "session", "lifecycle", "model")
_YOUNG = {"post_00s", "post_10s", "post_90s"}
_MIDDLE = {"post_80s", "post_70s"}


def avatar(gender: Any, generation: Any) -> str:
    """Path of the avatar for a gender (M/F, else neutral) and generation (young/middle/senior)."""
    who = {"M": "m", "F": "f"}.get(str(gender or "").upper()[:1], "n")
    if generation in _YOUNG:
        age = "young"
    elif generation in _MIDDLE:
        age = "middle"
    elif generation:
        age = "senior"
    else:
        age = "middle"
    return f"/static/avatars/{who}-{age}.svg"


def card(profile: dict[str, Any]) -> dict[str, Any]:
    """The persona card: avatar, (masked) name, tier, stage, risk, and how PII is shown."""
    persona = profile.get("persona") or {}
    attrs = profile.get("attributes") or {}
    gender = persona.get("gender", attrs.get("gender"))
    return {
        "avatar": avatar(gender, persona.get("generation")),
        "name": persona.get("name") or (profile.get("pii") or {}).get("name"),
        "gender": gender,
        "generation": persona.get("generation"),
        "age_band": persona.get("age_band"),
        "city": persona.get("city", attrs.get("city")),
        "value_tier": persona.get("value_tier"),
        "lifecycle_stage": persona.get("lifecycle_stage"),
        "risk_level": persona.get("risk_level"),
        "churn_risk": persona.get("churn_risk"),
        "pii_form": (profile.get("access") or {}).get("pii", "masked"),
        "own_customer": bool((profile.get("access") or {}).get("own_customer")),
    }


def families(profile: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Tag chips grouped by family, in :data:`FAMILY_ORDER` (families with no tag left out)."""
    tags: dict[str, list[dict[str, Any]]] = profile.get("tags") or {}
    order = [f for f in FAMILY_ORDER if f in tags] + sorted(f for f in tags if f not in FAMILY_ORDER)
    return [(f, sorted(tags[f], key=lambda t: str(t.get("title", "")))) for f in order if tags[f]]


def timeline(profile: dict[str, Any], limit: int = 15) -> list[dict[str, Any]]:
    """Recent events and transactions, newest first, as one list."""
    activity = profile.get("activity") or {}
    items = [{"kind": "event", "ts": str(e.get("ts") or ""), "channel": e.get("channel"),
              "what": e.get("type"), "product_id": e.get("product_id")}
             for e in activity.get("events") or []]
    items += [{"kind": "txn", "ts": str(t.get("ts") or ""), "channel": t.get("channel"),
               "what": t.get("kind"), "amount": t.get("amount")}
              for t in activity.get("transactions") or []]
    return sorted(items, key=lambda i: i["ts"], reverse=True)[:limit]


def _tag(profile: dict[str, Any], name: str) -> Any:
    for tags in (profile.get("tags") or {}).values():
        for tag in tags:
            if tag.get("name") == name:
                return tag.get("value")
    return None


def shelf(profile: dict[str, Any]) -> dict[str, Any]:
    """The three-tier product shelf: held / migratable / predicted, each item with a reason.

    Uses the recommendations the service attached (``portrait.services.recommend``) when
    present; otherwise the held tier comes from the holdings, the migratable tier from the
    ``migratable_products`` tag, and the predicted tier says no model has been trained.
    """
    recs = profile.get("recommendations")
    if isinstance(recs, dict) and any(k in recs for k in ("held", "migratable", "predicted")):
        tiers = {k: [_item(i) for i in recs.get(k) or []] for k in ("held", "migratable", "predicted")}
        return {"source": "model", **tiers, "note": None, "detail": None}
    held = [{"product": h.get("product_name") or h.get("product_id"), "category": h.get("category"),
             "reason_key": "shelf.reason_held", "since": h.get("start_at")}
            for h in profile.get("holdings") or [] if h.get("status") == "active"]
    migratable = [{"product": p, "category": None, "reason_key": "shelf.reason_migratable"}
                  for p in _tag(profile, "migratable_products") or []]
    return {"source": "tags", "held": held, "migratable": migratable, "predicted": [],
            "note": "shelf.no_model", "detail": profile.get("recommendations_note")}


def _item(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        return {"product": str(raw), "reason": None}
    reasons = raw.get("reasons") or raw.get("reason")
    if isinstance(reasons, list):
        reasons = "; ".join(str(r.get("text", r) if isinstance(r, dict) else r) for r in reasons)
    score = raw.get("score", raw.get("propensity"))
    return {"product": raw.get("product_name") or raw.get("name") or raw.get("product_id"),
            "category": raw.get("category"), "score": score, "reason": reasons or None,
            "risk_grade": raw.get("risk_grade")}


def consents(profile: dict[str, Any]) -> list[dict[str, Any]]:
    """Each consent purpose with its latest decision, profiling first."""
    found: dict[str, dict[str, Any]] = profile.get("consents") or {}
    order = ["profiling", "marketing_sms", "marketing_push", "marketing_email", "marketing_call",
             "third_party"]
    names = [p for p in order if p in found] + sorted(p for p in found if p not in order)
    return [{"purpose": p, **found[p]} for p in names]
