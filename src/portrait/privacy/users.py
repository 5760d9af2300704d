"""Users and API keys, stored in the workspace warehouse.

Passwords are hashed with argon2id (``argon2-cffi``'s defaults: memory-hard, salted,
parameters stored in the hash so they can be raised later). API keys are random
256-bit secrets shown once; only their SHA-256 is stored — a key has full entropy, so
a fast hash is enough and keeps every API call cheap.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import re
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from portrait.errors import AuthenticationError, NotFoundError, UsageError
from portrait.privacy.roles import Role, parse_role
from portrait.store import layout
from portrait.store.engine import Engine

USERS = "users"
API_KEYS = "api_keys"
USER_COLUMNS = [("username", "VARCHAR"), ("role", "VARCHAR"), ("rm_id", "VARCHAR"),
                ("password_hash", "VARCHAR"), ("disabled", "BOOLEAN"),
                ("created_at", "TIMESTAMP"), ("disabled_at", "TIMESTAMP")]
KEY_COLUMNS = [("key_id", "VARCHAR"), ("username", "VARCHAR"), ("key_hash", "VARCHAR"),
               ("created_at", "TIMESTAMP"), ("revoked", "BOOLEAN")]
KEY_PREFIX = "pk_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
MIN_PASSWORD = 8
_hasher = PasswordHasher()
#: Bumped by every change to users or keys made in this process; a server may keep
#: looked-up users while it is unchanged (no other process can write the warehouse
#: while a server holds it).
_generation = itertools.count(1)
_current = [0]
#: Verified against when the user does not exist, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("portrait-no-such-user")


@dataclass(frozen=True)
class User:
    username: str
    role: Role
    rm_id: str | None
    disabled: bool
    created_at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        return {"username": self.username, "role": self.role.value, "rm_id": self.rm_id,
                "disabled": self.disabled, "created_at": self.created_at.isoformat(timespec="seconds")}


def generation() -> int:
    """Changes so far to users and keys in this process (see :func:`_changed`)."""
    return _current[0]


def _changed() -> None:
    _current[0] = next(_generation)


def ensure_tables(engine: Engine) -> None:
    """Create the user and key tables if missing (lookups assume they exist)."""
    engine.execute(layout.create_table(USERS, USER_COLUMNS))
    engine.execute(layout.create_table(API_KEYS, KEY_COLUMNS))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _row_user(row: tuple[Any, ...]) -> User:
    return User(row[0], Role(row[1]), row[2], bool(row[3]), row[4])


def get(engine: Engine, username: str) -> User:
    """The user called ``username``.

    Raises:
        NotFoundError: No such user.
    """
    rows = engine.query("SELECT username, role, rm_id, disabled, created_at FROM users "
                        "WHERE username = ?", [username])
    if not rows:
        raise NotFoundError(f"No user {username!r}.", hint="See `portrait users list`.")
    return _row_user(rows[0])


def list_users(engine: Engine) -> list[User]:
    ensure_tables(engine)
    rows = engine.query("SELECT username, role, rm_id, disabled, created_at FROM users "
                        "ORDER BY username")
    return [_row_user(r) for r in rows]


def add(engine: Engine, username: str, role: str, password: str, *, rm_id: str | None = None) -> User:
    """Create a user.

    Raises:
        UsageError: Bad name, unknown role, short password, a relationship manager
            without ``rm_id``, or a name already taken.
    """
    ensure_tables(engine)
    if not _NAME.match(username):
        raise UsageError(f"User name {username!r} is not allowed.",
                         hint="Use 1–64 letters, digits, '_', '.', '@' or '-'.")
    parsed = parse_role(role)
    if parsed is Role.RELATIONSHIP_MANAGER and not rm_id:
        raise UsageError("A relationship manager needs --rm-id (their id in customers.rm_id).")
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"The password must have at least {MIN_PASSWORD} characters.")
    if engine.query("SELECT 1 FROM users WHERE username = ?", [username]):
        raise UsageError(f"User {username!r} already exists.",
                         hint="Pick another name, or disable the old user first.")
    now = _now()
    engine.execute("INSERT INTO users VALUES (?, ?, ?, ?, false, ?, NULL)",
                   [username, parsed.value, rm_id, hash_password(password), now])
    _changed()
    return User(username, parsed, rm_id, False, now)


def disable(engine: Engine, username: str) -> User:
    """Disable a user and revoke their API keys (tokens already issued stop working too)."""
    user = get(engine, username)
    engine.execute("UPDATE users SET disabled = true, disabled_at = ? WHERE username = ?",
                   [_now(), username])
    engine.execute("UPDATE api_keys SET revoked = true WHERE username = ?", [username])
    _changed()
    return User(user.username, user.role, user.rm_id, True, user.created_at)


def authenticate(engine: Engine, username: str, password: str) -> User:
    """The user, if the password is right and the user is enabled.

    Raises:
        AuthenticationError: Unknown user, wrong password or disabled user (one
            message for all three, so it reveals nothing).
    """
    rows = engine.query("SELECT username, role, rm_id, disabled, created_at, password_hash "
                        "FROM users WHERE username = ?", [username])
    stored = rows[0][5] if rows else _DUMMY_HASH
    ok = password_matches(stored, password)
    if not rows or not ok or rows[0][3]:
        raise AuthenticationError("Wrong user name or password, or the user is disabled.")
    return _row_user(rows[0])


def active(engine: Engine, username: str) -> User:
    """The user behind a token or key, if still enabled.

    Raises:
        AuthenticationError: The user was removed or disabled.
    """
    try:
        user = get(engine, username)
    except NotFoundError:
        raise AuthenticationError(f"The user {username!r} no longer exists.") from None
    if user.disabled:
        raise AuthenticationError(f"The user {username!r} is disabled.")
    return user


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key(engine: Engine, username: str) -> tuple[str, str]:
    """Create an API key for an enabled user.

    Returns:
        (key id, the key itself). The key is shown once; only its hash is kept.
    """
    user = active(engine, username)
    key_id = secrets.token_hex(6)
    key = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    engine.execute("INSERT INTO api_keys VALUES (?, ?, ?, ?, false)",
                   [key_id, user.username, _key_hash(key), _now()])
    _changed()
    return key_id, key


def user_for_key(engine: Engine, key: str) -> User:
    """The enabled user owning API key ``key``.

    Raises:
        AuthenticationError: Unknown, malformed or revoked key, or a disabled user.
    """
    key_id = key[len(KEY_PREFIX):].split("_", 1)[0] if key.startswith(KEY_PREFIX) else ""
    rows = engine.query("SELECT username, key_hash FROM api_keys WHERE key_id = ? AND NOT revoked",
                        [key_id])
    if not rows or not hmac.compare_digest(rows[0][1], _key_hash(key)):
        raise AuthenticationError("Unknown or revoked API key.")
    return active(engine, rows[0][0])
