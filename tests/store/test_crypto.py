from __future__ import annotations

import pytest

from portrait.errors import ConfigError
from portrait.store import crypto


def test_round_trip_and_tokens() -> None:
    cipher = crypto.FieldCipher(crypto.new_key())
    blobs = cipher.encrypt(["张伟", None, "13812345678"], context="customers.name")
    assert blobs[1] is None
    assert all(b is not None and "张伟".encode() not in b for b in (blobs[0], blobs[2]))
    assert cipher.decrypt(blobs, context="customers.name") == ["张伟", None, "13812345678"]
    # a fresh nonce per value: same clear text, different ciphertext; same token
    again = cipher.encrypt(["张伟"], context="customers.name")
    assert again[0] != blobs[0]
    assert cipher.token("张伟") == cipher.token("张伟") != cipher.token("张伟 ")


def test_ciphertext_is_bound_to_its_column_and_key() -> None:
    key = crypto.new_key()
    blob = crypto.FieldCipher(key).encrypt(["x@bank.cn"], context="customers.email")
    with pytest.raises(ConfigError):
        crypto.FieldCipher(key).decrypt(blob, context="customers.phone")
    with pytest.raises(ConfigError):
        crypto.FieldCipher(crypto.new_key()).decrypt(blob, context="customers.email")
    assert crypto.FieldCipher(key).token("a") != crypto.FieldCipher(crypto.new_key()).token("a")


def test_key_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    key = crypto.new_key()
    monkeypatch.setenv(crypto.KEY_ENV, crypto.encode_key(key))
    assert crypto.load_key(tmp_path / "missing.key") == key
    monkeypatch.setenv(crypto.KEY_ENV, "c2hvcnQ=")
    with pytest.raises(ConfigError, match="32-byte"):
        crypto.load_key(tmp_path / "missing.key")
    monkeypatch.delenv(crypto.KEY_ENV)
    with pytest.raises(ConfigError, match="portrait init"):
        crypto.load_key(tmp_path / "missing.key")
