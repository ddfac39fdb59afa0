"""Check digit of Japan's local-government codes (全国地方公共団体コード).

Why this exists: every municipality code the platform stores or imports is the
six-digit 総務省 code (JIS X 0402 five digits + one check digit).  A typo in a
code silently moves an organisation, a PF or a referral to another town, so the
registry and the importer validate every code with this rule before accepting it.

Rule (総務省「全国地方公共団体コード」仕様): multiply the five digits by the
weights 6, 5, 4, 3, 2, sum, take the remainder modulo 11, and the check digit
is ``(11 - remainder) % 10`` (a remainder of 0 gives 1, a remainder of 1 gives 0).
Examples: 札幌市 01100 -> 2 (011002), 千代田区 13101 -> 6 (131016),
登別市 01230 -> 1 (012301).  Prefecture codes follow the same rule (北海道
01000 -> 6, 010006).
"""

from __future__ import annotations

__all__ = ["check_digit", "is_valid_municipality_code", "WEIGHTS"]

WEIGHTS = (6, 5, 4, 3, 2)


def check_digit(five_digits: str) -> str:
    """Return the check digit (one character) for a five-digit code.

    Raises ``ValueError`` when the input is not exactly five ASCII digits.
    """
    if not isinstance(five_digits, str) or len(five_digits) != 5 or not _ascii_digits(five_digits):
        raise ValueError(f"expected five ASCII digits, got {five_digits!r}")
    total = sum(int(d) * w for d, w in zip(five_digits, WEIGHTS))
    return str((11 - total % 11) % 10)


def is_valid_municipality_code(code: str) -> bool:
    """True if ``code`` is six ASCII digits whose last digit is the correct check digit.

    Never raises: anything that is not a six-digit string is simply invalid.
    """
    if not isinstance(code, str) or len(code) != 6 or not _ascii_digits(code):
        return False
    return check_digit(code[:5]) == code[5]


def _ascii_digits(s: str) -> bool:
    # str.isdigit() accepts full-width and other Unicode digits; codes must be ASCII.
    return all("0" <= ch <= "9" for ch in s)
