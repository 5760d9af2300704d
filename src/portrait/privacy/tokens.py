"""Signed, expiring access tokens (JWT, HS256).

The signing secret is derived with HKDF from the workspace key under its own label,
so it never has to be configured separately, differs from the PII keys, and changes
when the workspace key is rotated (which logs everybody out).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from portrait.errors import AuthenticationError
from portrait.privacy.roles import Role

ALGORITHM = "HS256"
ISSUER = "portrait"
DEFAULT_TTL = dt.timedelta(hours=8)


def secret_from_key(workspace_key: bytes) -> bytes:
    """The token signing secret for a workspace key."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"portrait api token v1").derive(workspace_key)


@dataclass(frozen=True)
class Claims:
    username: str
    role: Role
    rm_id: str | None
    expires_at: dt.datetime


def issue(secret: bytes, username: str, role: Role, rm_id: str | None, *,
          ttl: dt.timedelta = DEFAULT_TTL, now: dt.datetime | None = None) -> tuple[str, int]:
    """A token for the user, valid for ``ttl``.

    Returns:
        (token, seconds until it expires).
    """
    issued = now or dt.datetime.now(dt.UTC)
    payload: dict[str, Any] = {"sub": username, "role": role.value, "rm": rm_id, "iss": ISSUER,
                               "iat": int(issued.timestamp()),
                               "exp": int((issued + ttl).timestamp())}
    return jwt.encode(payload, secret, algorithm=ALGORITHM), int(ttl.total_seconds())


def verify(secret: bytes, token: str) -> Claims:
    """The claims of a token this workspace signed and that has not expired.

    Raises:
        AuthenticationError: Expired, tampered with, signed by another key, or malformed.
    """
    try:
        data = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
                          options={"require": ["sub", "exp", "iat", "role"]})
    except jwt.ExpiredSignatureError:
        raise AuthenticationError("The access token has expired.",
                                  hint="Log in again (POST /api/auth/token).") from None
    except jwt.PyJWTError as exc:
        raise AuthenticationError(f"The access token is not valid: {exc}.") from None
    try:
        role = Role(data["role"])
    except ValueError:
        raise AuthenticationError("The access token names an unknown role.") from None
    return Claims(str(data["sub"]), role, data.get("rm"),
                  dt.datetime.fromtimestamp(int(data["exp"]), dt.UTC))
