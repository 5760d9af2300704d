"""Who is asking, and may they: sessions, login, authentication, permission checks.

A :class:`Session` is an open workspace that serves many calls — the API server holds
one for its lifetime; a CLI command opens one for a single call (:func:`using`). It
keeps one warehouse connection per thread (DuckDB connections are not shared between
threads; all of them reach the same database), the token secret, the cipher, the tag
plan and the audit log.

Every permission denial is written to the audit log here, before the error reaches
the caller.
"""

from __future__ import annotations

import datetime as dt
import getpass
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from portrait.errors import AccessDeniedError, AuthenticationError
from portrait.privacy import access, audit, tokens, users
from portrait.privacy.access import Principal
from portrait.privacy.roles import PERMISSIONS, Action, Role
from portrait.services import workspace
from portrait.services.customer_rows import CustomerRows, CustomerRowsHolder
from portrait.services.snapshot_rows import RowsCache, SnapshotRows
from portrait.store import Workspace, crypto
from portrait.store.engine import Engine
from portrait.tags import snapshots
from portrait.tags.build import load_plan
from portrait.tags.plan import Plan

T = TypeVar("T")
#: How often a session looks for a newer tag snapshot.
SNAPSHOT_RECHECK_S = 5.0
#: Verified tokens a session keeps (forgotten all at once beyond this).
MAX_KEPT_TOKENS = 10_000

__all__ = ["Principal", "Session", "TokenGrant", "authenticate", "check", "login", "open_session",
           "operator", "using", "whoami"]


class Session:
    """An open workspace shared by the calls of one server (or one command).

    Args:
        ws: The workspace.
        token_ttl: How long access tokens issued by :func:`login` stay valid.
    """

    def __init__(self, ws: Workspace, *, token_ttl: dt.timedelta = tokens.DEFAULT_TTL) -> None:
        self.ws = ws
        self.token_ttl = token_ttl
        self._local = threading.local()
        self._engines: list[Engine] = []
        self._guard = threading.Lock()
        self._plan: Plan | None = None
        self._snapshot: dict[str, Any] | None = None
        self._snapshot_checked = -SNAPSHOT_RECHECK_S
        self._rows = RowsCache()
        self._customer_rows = CustomerRowsHolder()
        self._memo: dict[str, tuple[float, Any]] = {}
        self._users: dict[str, tuple[int, users.User]] = {}
        self._tokens: dict[str, tokens.Claims] = {}
        anchor = self.engine()
        users.ensure_tables(anchor)
        audit.ensure_table(anchor)
        self.secret = tokens.secret_from_key(crypto.load_key(ws.key_path))
        self.cipher = ws.cipher()
        self.audit_log = audit.AuditLog(str(ws.warehouse_path.resolve()))

    @property
    def root(self) -> Path:
        return self.ws.root

    def engine(self) -> Engine:
        """This thread's connection to the warehouse (opened on first use)."""
        eng: Engine | None = getattr(self._local, "engine", None)
        if eng is None:
            eng = self.ws.engine()
            self._local.engine = eng
            with self._guard:
                self._engines.append(eng)
        return eng

    def plan(self) -> Plan:
        """The tag catalog of the workspace (loaded once)."""
        if self._plan is None:
            catalogs = [self.root / p for p in self.ws.config.get("tags", {}).get("catalogs", [])]
            self._plan = load_plan(catalogs)
        return self._plan

    def snapshot(self) -> dict[str, Any] | None:
        """The latest tag snapshot (the registry is read again every few seconds)."""
        now = time.monotonic()
        if now - self._snapshot_checked >= SNAPSHOT_RECHECK_S:
            with self._guard:
                snap = snapshots.find(self.engine(), None)
                self._snapshot, self._snapshot_checked = snap, now
        return self._snapshot

    def snapshot_rows(self, snap: dict[str, Any], columns: tuple[str, ...]) -> SnapshotRows:
        """The snapshot's rows in memory, for keyed lookups (loaded on first use)."""
        return self._rows.get(self.engine(), snap, columns)

    def load_customer_rows(self) -> CustomerRows:
        """Load what profiles read about every customer into memory (a serving session)."""
        return self._customer_rows.load(self.engine())

    def customer_rows(self) -> CustomerRows | None:
        """The in-memory customer rows, when this session loaded them."""
        return self._customer_rows.get()

    def customer_changed(self, customer_id: str) -> None:
        """A customer's rows were written: read them from the warehouse from now on."""
        self._customer_rows.changed(customer_id)

    def cached(self, key: str, ttl: float, load: Callable[[], T]) -> T:
        """A value kept for ``ttl`` seconds (small reference data such as the products)."""
        now = time.monotonic()
        with self._guard:
            hit = self._memo.get(key)
        if hit is not None and now - hit[0] < ttl:
            return cast(T, hit[1])
        value = load()
        with self._guard:
            self._memo[key] = (now, value)
        return value

    def verified(self, token: str) -> tokens.Claims:
        """The claims of a valid token. A token once verified is kept (a client sends the
        same token with every request) and only its expiry is checked again.

        Raises:
            AuthenticationError: Expired, tampered with, or not this workspace's.
        """
        with self._guard:
            claims = self._tokens.get(token)
        if claims is None:
            claims = tokens.verify(self.secret, token)
            with self._guard:
                if len(self._tokens) >= MAX_KEPT_TOKENS:
                    self._tokens.clear()
                self._tokens[token] = claims
        elif claims.expires_at <= dt.datetime.now(dt.UTC):
            raise AuthenticationError("The access token has expired.",
                                      hint="Log in again (POST /api/auth/token).")
        return claims

    def active_user(self, username: str) -> users.User:
        """The enabled user ``username``, kept until users or keys change in this process.

        Raises:
            AuthenticationError: The user was removed or disabled.
        """
        current = users.generation()
        with self._guard:
            hit = self._users.get(username)
        if hit is not None and hit[0] == current:
            return hit[1]
        user = users.active(self.engine(), username)
        with self._guard:
            self._users[username] = (current, user)
        return user

    def sensitivities(self) -> dict[str, str]:
        """Tag name → sensitivity, for the whole catalog."""
        return {n: t.spec.sensitivity for n, t in self.plan().tags.items()}

    def record(self, principal: Principal, action: str, target: str = "",
               outcome: str = audit.ALLOWED, details: dict[str, Any] | None = None) -> audit.Entry:
        """Append an audit entry for something the principal did (or was refused);
        returns once it is committed."""
        return self.audit_log.append(self.engine(), actor=principal.name, role=principal.role.value,
                                     action=action, target=target, outcome=outcome,
                                     details={"via": principal.via, **(details or {})})

    def record_read(self, principal: Principal, action: str, target: str = "",
                    details: dict[str, Any] | None = None) -> None:
        """Audit a routine read (a profile view, a search). Committed before returning,
        unless the session defers such entries (:meth:`defer_audit`)."""
        self.audit_log.submit(self.engine(), actor=principal.name, role=principal.role.value,
                              action=action, target=target,
                              details={"via": principal.via, **(details or {})})

    def defer_audit(self, interval: float) -> None:
        """Commit routine reads' audit entries in the background every ``interval`` seconds
        (a server's choice: see :class:`portrait.privacy.audit.AuditLog`)."""
        self.audit_log.defer(self.engine, interval)

    def close(self) -> None:
        self.audit_log.close(self.engine())
        with self._guard:
            for eng in self._engines:
                eng.close()
            self._engines.clear()
        self._local = threading.local()


def open_session(ws_path: Path | None, *, token_ttl: dt.timedelta = tokens.DEFAULT_TTL) -> Session:
    """Open the workspace for a server or a command."""
    return Session(workspace.open_(ws_path), token_ttl=token_ttl)


@contextmanager
def using(target: Session | Path | None) -> Iterator[Session]:
    """The session given, or one opened on the workspace path for the duration of a call."""
    if isinstance(target, Session):
        yield target
        return
    session = open_session(target)
    try:
        yield session
    finally:
        session.close()


def operator() -> Principal:
    """The person at the command line: whoever can open the workspace (and its key) is its admin."""
    return Principal(f"cli:{getpass.getuser()}", Role.ADMIN, None, via=access.OPERATOR_VIA)


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    expires_in: int
    token_type: str = "bearer"

    def as_dict(self) -> dict[str, Any]:
        return {"access_token": self.access_token, "token_type": self.token_type,
                "expires_in": self.expires_in}


def login(target: Session | Path | None, username: str, password: str) -> TokenGrant:
    """Check a user's password and issue a signed, expiring token; failures are audited.

    Raises:
        AuthenticationError: Wrong name or password, or the user is disabled.
    """
    with using(target) as session:
        try:
            user = users.authenticate(session.engine(), username, password)
        except AuthenticationError:
            session.audit_log.append(session.engine(), actor=username[:64], role="",
                                     action="auth.login", outcome=audit.DENIED,
                                     details={"via": "password"})
            raise
        token, ttl = tokens.issue(session.secret, user.username, user.role, user.rm_id,
                                  ttl=session.token_ttl)
        return TokenGrant(token, ttl)


def authenticate(session: Session, *, bearer: str | None = None,
                 api_key: str | None = None) -> Principal:
    """The principal behind a bearer token or an API key.

    The user is looked up on every call (a session keeps the answer only until users
    or keys change), so disabling a user (or changing their role) takes effect at once,
    whatever tokens they hold.

    Raises:
        AuthenticationError: No credentials, or credentials that are not valid.
    """
    engine = session.engine()
    if api_key:
        user = users.user_for_key(engine, api_key)
        return Principal(user.username, user.role, user.rm_id, via="api_key")
    if bearer:
        claims = session.verified(bearer)
        user = session.active_user(claims.username)
        return Principal(user.username, user.role, user.rm_id, via="token")
    raise AuthenticationError("Not authenticated.",
                              hint="Send `Authorization: Bearer <token>` (POST /api/auth/token) "
                                   "or `X-API-Key: <key>`.")


def check(session: Session, principal: Principal, action: Action, target: str = "") -> None:
    """Raise unless the principal may perform the action; a refusal is audited first.

    Raises:
        AccessDeniedError: The principal's role lacks the permission.
    """
    try:
        access.require(principal, action, target)
    except AccessDeniedError as exc:
        session.record(principal, action.value, target, audit.DENIED, {"reason": exc.message})
        raise


def whoami(session: Session, principal: Principal) -> dict[str, Any]:
    """The principal with what their role may do and see."""
    return {**principal.as_dict(), "permissions": sorted(a.value for a in PERMISSIONS[principal.role]),
            "tag_levels": list(access.visible_levels(principal))}
