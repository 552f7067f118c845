"""Counter codes: random, unguessable, forgiving when typed."""

import pytest

from app.domain.codes import ALPHABET, CODE_LENGTH, new_counter_code, normalise_code


def test_codes_are_random_crockford_base32():
    codes = {new_counter_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == CODE_LENGTH and set(c) <= set(ALPHABET) for c in codes)
    assert not set("ILOU") & set(ALPHABET)


@pytest.mark.parametrize(
    ("typed", "code"),
    [("abcd2345", "ABCD2345"), ("ABCD-2345", "ABCD2345"), ("O1L0IXYZ", "01101XYZ"),
     ("ABCD234", None), ("ABCD23456", None), ("ABCD234U", None), ("ABCD/345", None)],
)
def test_typed_codes_are_normalised_or_refused(typed, code):
    assert normalise_code(typed) == code
