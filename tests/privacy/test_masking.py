"""Masks keep just enough to recognise a value, never enough to identify the person."""

from __future__ import annotations

import pytest

from portrait.privacy import masking


@pytest.mark.parametrize(("field", "value", "masked"), [
    ("phone", "13812345678", "138****5678"),
    ("phone", "+8613812345678", "+86*******5678"),
    ("phone", "12345", "***"),
    ("name", "张三", "张*"),
    ("name", "欧阳娜娜", "欧***"),
    ("name", "张", "张*"),
    ("name", "John Smith", "J*** S****"),
    ("name", "  ", "***"),
    ("email", "alice@x.com", "a***@x.com"),
    ("email", "not-an-email", "***"),
    ("email", "@x.com", "***"),
    ("national_id", "110101199001011234", "110***********1234"),
    ("national_id", "11010119900101123X", "110***********123X"),
    ("national_id", "123", "***"),
    ("unknown_field", "anything", "***"),
])
def test_masks(field: str, value: str, masked: str) -> None:
    assert masking.mask(field, value) == masked


def test_none_stays_none() -> None:
    assert masking.mask("phone", None) is None


def test_masks_never_reveal_the_middle_digits() -> None:
    phone = "13812345678"
    assert "1234" not in masking.mask_phone(phone)[3:7]
    assert len(masking.mask_national_id("110101199001011234")) == 18
