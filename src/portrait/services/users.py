"""User administration: add, list, disable users; issue API keys. Each action is audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from portrait.privacy import users
from portrait.privacy.roles import Action
from portrait.services.access import Principal, Session, check, operator, using


def add_user(target: Session | Path | None, username: str, role: str, password: str, *,
             rm_id: str | None = None, actor: Principal | None = None) -> dict[str, Any]:
    """Create a user with an argon2-hashed password.

    Raises:
        AccessDeniedError: ``actor`` may not manage users.
        UsageError: Bad name, role or password, or the name is taken.
    """
    who = actor or operator()
    with using(target) as session:
        check(session, who, Action.USERS_MANAGE, f"user:{username}")
        user = users.add(session.engine(), username, role, password, rm_id=rm_id)
        session.record(who, "users.add", f"user:{username}",
                       details={"role": user.role.value, "rm_id": rm_id})
        return user.as_dict()


def list_users(target: Session | Path | None, *, actor: Principal | None = None,
               limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """A page of users (never their password hashes)."""
    who = actor or operator()
    with using(target) as session:
        check(session, who, Action.USERS_MANAGE, "users")
        found = users.list_users(session.engine())
        return {"items": [u.as_dict() for u in found[offset: offset + limit]],
                "total": len(found), "limit": limit, "offset": offset}


def disable_user(target: Session | Path | None, username: str, *,
                 actor: Principal | None = None) -> dict[str, Any]:
    """Disable a user: their tokens and API keys stop working at once."""
    who = actor or operator()
    with using(target) as session:
        check(session, who, Action.USERS_MANAGE, f"user:{username}")
        user = users.disable(session.engine(), username)
        session.record(who, "users.disable", f"user:{username}")
        return user.as_dict()


def create_api_key(target: Session | Path | None, username: str, *,
                   actor: Principal | None = None) -> dict[str, Any]:
    """Issue an API key for a system acting as ``username``; the key is returned once."""
    who = actor or operator()
    with using(target) as session:
        check(session, who, Action.USERS_MANAGE, f"user:{username}")
        key_id, key = users.new_api_key(session.engine(), username)
        session.record(who, "users.apikey", f"user:{username}", details={"key_id": key_id})
        return {"username": username, "key_id": key_id, "api_key": key}
