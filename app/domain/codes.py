"""Public counter codes: short, random, unguessable, and forgiving when typed by hand; and
the plain spelling of the words in an export's headers and cells.

Crockford base32 leaves out I, L, O and U so that a code read off a sticker cannot be misread.
"""

import secrets
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8  # 40 random bits: guessing a live code among thousands takes ~10^8 tries.
_TYPO_MAP = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})


def new_counter_code() -> str:
    """Return a fresh random code of CODE_LENGTH Crockford base32 characters."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str | None:
    """Return the canonical form of a typed code, or None when it cannot be one."""
    code = raw.upper().translate(_TYPO_MAP)
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def plain_key(text: object) -> str:
    """A header or a cell's word as one key: lower case, without diacritics ("đ" as "d"), each
    run of other characters one "_" ("Ngày trả" and "ngay-tra" are both "ngay_tra")."""
    plain = unicodedata.normalize("NFD", str(text or "")).replace("đ", "d").replace("Đ", "D")
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).strip().lower()
    key = "".join(ch if ch.isalnum() else "_" for ch in plain).strip("_")
    while "__" in key:
        key = key.replace("__", "_")
    return key
