"""``portrait demo --serve``: one demo login per role, and the server on the demo workspace.

Passwords are random (never a well-known default) and kept in
``<workspace>/demo-logins.json`` (readable by its owner only), so serving the same demo
workspace again prints the same logins. The relationship manager is given the ``rm_id``
that manages the most customers, so their own customers show PII in clear.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from sqlglot import exp

from portrait.errors import UsageError
from portrait.privacy import users as user_store
from portrait.privacy.roles import Role
from portrait.services import users, workspace
from portrait.services.access import using

LOGINS_FILE = "demo-logins.json"
#: The app factory uvicorn imports (named, not imported: services sit below the web layer).
APP_FACTORY = "portrait.web.app:create_app"


def _busiest_rm(ws_path: Path) -> tuple[str, str] | None:
    """The relationship manager with the most customers, and the first of those customers."""
    engine = workspace.open_(ws_path).engine()
    try:
        rm = exp.column("rm_id")
        rows = engine.query(exp.select(rm, exp.func("min", exp.column("customer_id")))
                            .from_("customers").where(rm.is_(exp.null()).not_())
                            .group_by(rm).order_by(exp.Ordered(this=exp.func("count", exp.Star()),
                                                               desc=True), rm).limit(1))
    finally:
        engine.close()
    return (str(rows[0][0]), str(rows[0][1])) if rows else None


def _read_logins(path: Path) -> dict[str, dict[str, Any]]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(d["username"]): d for d in data if isinstance(d, dict) and "username" in d}


def prepare_demo_users(ws_path: Path | None) -> list[dict[str, Any]]:
    """Create (or reuse) one demo user per role through the users service.

    Returns:
        One ``{"username", "role", "password", "rm_id"}`` per role, in role order; the
        relationship manager's also has ``own_customer``, one of their customers (whose
        persona page shows PII in clear to them).

    Raises:
        UsageError: A demo user name exists but its password is not on record (the
            workspace was not prepared by this function).
    """
    root = workspace.resolve(ws_path)
    path = root / LOGINS_FILE
    known = _read_logins(path)
    busiest = _busiest_rm(root)
    logins: list[dict[str, Any]] = []
    with using(root) as session:
        existing = {u.username for u in user_store.list_users(session.engine())}
        for role in Role:
            name = f"demo-{role.value.replace('_', '-')}"
            rm = busiest[0] if busiest and role is Role.RELATIONSHIP_MANAGER else None
            if role is Role.RELATIONSHIP_MANAGER and rm is None:
                continue  # no customer has a relationship manager
            if name in existing:
                if name not in known:
                    raise UsageError(f"User {name!r} already exists but its demo password is not "
                                     f"recorded in {path}.",
                                     hint="Use a fresh demo workspace, or disable that user.")
                logins.append(known[name])
                continue
            password = secrets.token_urlsafe(12)
            users.add_user(session, name, role.value, password, rm_id=rm)
            login: dict[str, Any] = {"username": name, "role": role.value, "password": password,
                                     "rm_id": rm}
            if rm is not None and busiest is not None:
                login["own_customer"] = busiest[1]
            logins.append(login)
    path.write_text(json.dumps(logins, indent=2), encoding="utf-8")
    path.chmod(0o600)
    return logins


def serve(ws_path: Path | None, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the API and the web pages on the workspace until interrupted (blocks)."""
    import uvicorn

    root = workspace.open_(ws_path).root.resolve()
    os.environ["PORTRAIT_HOME"] = str(root)
    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, log_level="warning")
