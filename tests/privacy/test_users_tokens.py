"""Users (argon2 passwords, disable, API keys stored as hashes) and signed expiring tokens."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest

from portrait.errors import AuthenticationError, UsageError
from portrait.privacy import tokens, users
from portrait.privacy.roles import Role
from portrait.store import Workspace

SECRET = tokens.secret_from_key(b"k" * 32)


def test_password_hash_is_argon2_salted_and_verifies() -> None:
    first, second = users.hash_password("correct horse"), users.hash_password("correct horse")
    assert first.startswith("$argon2id$") and first != second
    assert "correct horse" not in first
    assert users.password_matches(first, "correct horse")
    assert not users.password_matches(first, "wrong horse")
    assert not users.password_matches("not a hash", "correct horse")


def test_add_authenticate_disable(workspace: Workspace) -> None:
    eng = workspace.engine()
    try:
        users.ensure_tables(eng)
        users.add(eng, "rm1", "relationship_manager", "secret123", rm_id="RM-A")
        stored = eng.query("SELECT password_hash FROM users WHERE username = 'rm1'")[0][0]
        assert stored.startswith("$argon2id$")
        user = users.authenticate(eng, "rm1", "secret123")
        assert (user.role, user.rm_id) == (Role.RELATIONSHIP_MANAGER, "RM-A")
        with pytest.raises(AuthenticationError):
            users.authenticate(eng, "rm1", "wrong-password")
        with pytest.raises(AuthenticationError):
            users.authenticate(eng, "nobody", "secret123")
        users.disable(eng, "rm1")
        with pytest.raises(AuthenticationError, match="disabled"):
            users.authenticate(eng, "rm1", "secret123")
    finally:
        eng.close()


@pytest.mark.parametrize(("name", "role", "password", "rm_id", "message"), [
    ("bad name!", "analyst", "secret123", None, "not allowed"),
    ("x", "boss", "secret123", None, "Unknown role"),
    ("x", "analyst", "short", None, "at least 8"),
    ("x", "relationship_manager", "secret123", None, "needs --rm-id"),
])
def test_add_rejects(workspace: Workspace, name: str, role: str, password: str,
                     rm_id: str | None, message: str) -> None:
    eng = workspace.engine()
    try:
        users.ensure_tables(eng)
        with pytest.raises(UsageError, match=message):
            users.add(eng, name, role, password, rm_id=rm_id)
    finally:
        eng.close()


def test_duplicate_user_is_refused(workspace: Workspace) -> None:
    eng = workspace.engine()
    try:
        users.ensure_tables(eng)
        users.add(eng, "ann", "analyst", "secret123")
        with pytest.raises(UsageError, match="already exists"):
            users.add(eng, "ann", "marketer", "secret456")
    finally:
        eng.close()


def test_api_keys_are_stored_as_hashes_and_die_with_the_user(workspace: Workspace) -> None:
    eng = workspace.engine()
    try:
        users.ensure_tables(eng)
        users.add(eng, "crm", "marketer", "secret123")
        key_id, key = users.new_api_key(eng, "crm")
        stored = eng.query("SELECT key_hash FROM api_keys WHERE key_id = ?", [key_id])[0][0]
        assert key not in stored and len(stored) == 64
        assert users.user_for_key(eng, key).username == "crm"
        with pytest.raises(AuthenticationError):
            users.user_for_key(eng, key[:-1] + ("A" if key[-1] != "A" else "B"))
        with pytest.raises(AuthenticationError):
            users.user_for_key(eng, "garbage")
        users.disable(eng, "crm")
        with pytest.raises(AuthenticationError):
            users.user_for_key(eng, key)
    finally:
        eng.close()


def test_token_round_trip() -> None:
    token, ttl = tokens.issue(SECRET, "ann", Role.ANALYST, None, ttl=dt.timedelta(minutes=5))
    claims = tokens.verify(SECRET, token)
    assert (claims.username, claims.role, ttl) == ("ann", Role.ANALYST, 300)


def test_expired_token_is_refused() -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    token, _ = tokens.issue(SECRET, "ann", Role.ANALYST, None, ttl=dt.timedelta(hours=1), now=past)
    with pytest.raises(AuthenticationError, match="expired"):
        tokens.verify(SECRET, token)


def test_token_from_another_workspace_or_tampered_is_refused() -> None:
    token, _ = tokens.issue(SECRET, "ann", Role.ANALYST, None)
    with pytest.raises(AuthenticationError, match="not valid"):
        tokens.verify(tokens.secret_from_key(b"j" * 32), token)
    payload = jwt.decode(token, options={"verify_signature": False})
    payload["role"] = "compliance"
    forged = jwt.encode(payload, "g" * 32, algorithm="HS256")
    with pytest.raises(AuthenticationError):
        tokens.verify(SECRET, forged)
    unsigned = jwt.encode(payload, None, algorithm="none")  # type: ignore[arg-type]
    with pytest.raises(AuthenticationError):
        tokens.verify(SECRET, unsigned)
