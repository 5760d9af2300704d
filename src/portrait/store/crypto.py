"""Field-level protection of personal data in the warehouse.

Columns the schema marks as PII are stored as AES-256-GCM ciphertext (a fresh 96-bit
nonce per value, the table and column name as associated data, so a value cannot be
moved to another column unnoticed), and beside each one a keyed HMAC-SHA256 token that
lets the warehouse join and de-duplicate on the value without seeing it.

Both keys are derived with HKDF from one 256-bit workspace key, so rotating the
workspace key rotates both.
"""

from __future__ import annotations

import base64
import hmac
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from portrait.errors import ConfigError

KEY_ENV = "PORTRAIT_KEY"
_NONCE = 12
_TOKEN_BYTES = 16


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


def new_key() -> bytes:
    """Return a new random 256-bit workspace key."""
    return AESGCM.generate_key(bit_length=256)


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii")


def decode_key(text: str, *, origin: str) -> bytes:
    """Decode a base64 workspace key.

    Raises:
        ConfigError: The text is not a base64-encoded 32-byte key.
    """
    try:
        key = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ConfigError(f"The workspace key in {origin} is not valid base64.") from exc
    if len(key) != 32:
        raise ConfigError(
            f"The workspace key in {origin} has {len(key)} bytes; a 32-byte key is required.",
            hint="Create one with `portrait init` or unset PORTRAIT_KEY.",
        )
    return key


def load_key(key_file: Path) -> bytes:
    """Load the workspace key from ``PORTRAIT_KEY`` or, if unset, from ``key_file``.

    Raises:
        ConfigError: Neither holds a valid key.
    """
    env = os.environ.get(KEY_ENV)
    if env:
        return decode_key(env, origin=f"${KEY_ENV}")
    if not key_file.exists():
        raise ConfigError(
            f"No workspace key: {key_file} does not exist and ${KEY_ENV} is not set.",
            hint="Run `portrait init` to create the workspace and its key.",
        )
    return decode_key(key_file.read_text(encoding="ascii"), origin=str(key_file))


class FieldCipher:
    """Encrypts, decrypts and tokenizes PII values under one workspace key."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(_derive(key, b"portrait pii encryption v1"))
        self._token_key = _derive(key, b"portrait pii token v1")

    def encrypt(self, values: Sequence[str | None], *, context: str) -> list[bytes | None]:
        """Encrypt each value; ``None`` stays ``None``.

        Args:
            values: Clear values.
            context: ``table.column`` the values belong to, bound as associated data.
        """
        aad = context.encode()
        nonces = os.urandom(_NONCE * len(values))
        out: list[bytes | None] = []
        for i, value in enumerate(values):
            if value is None:
                out.append(None)
                continue
            nonce = nonces[i * _NONCE : (i + 1) * _NONCE]
            out.append(nonce + self._aead.encrypt(nonce, value.encode(), aad))
        return out

    def decrypt(self, values: Iterable[bytes | None], *, context: str) -> list[str | None]:
        """Decrypt values written by :meth:`encrypt` for the same ``context``.

        Raises:
            ConfigError: A value was not encrypted under this key and context.
        """
        aad = context.encode()
        out: list[str | None] = []
        for blob in values:
            if blob is None:
                out.append(None)
                continue
            try:
                clear = self._aead.decrypt(blob[:_NONCE], blob[_NONCE:], aad)
            except InvalidTag as exc:
                raise ConfigError(
                    f"Cannot decrypt {context}: the value was encrypted under another key.",
                    hint=f"Check ${KEY_ENV} or the workspace key file.",
                ) from exc
            out.append(clear.decode())
        return out

    def token(self, value: str) -> str:
        """Keyed token of a value: equal values give equal tokens, unguessable without the key."""
        return hmac.digest(self._token_key, value.encode(), "sha256")[:_TOKEN_BYTES].hex()

    def tokens(self, values: Sequence[str | None]) -> list[str | None]:
        return [None if v is None else self.token(v) for v in values]
