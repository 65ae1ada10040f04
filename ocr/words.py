"""Chinese uppercase money words (大写金额): generate from a figure, compare with words read by OCR.

The check never trusts the words alone: the words are *generated* from the figure (both the strict
banking form, which writes every inner zero run as 零, and the short form that omits 零 where the
rules allow it) and the OCR text is compared with them position by position. A read character that
differs from the expected one is accepted only when it is a known OCR confusion *of that expected
character* (仟 read as 什, 叁 read as 参, ...) and not itself a legitimate money character; anything
else is a mismatch. So a printed ``柒`` where ``陆`` is expected always fails, however the OCR misreads
the rest.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

__all__ = [
    "DIGITS",
    "amount_in_words",
    "amount_in_words_forms",
    "normalise_words",
    "words_match",
    "words_to_amount",
]

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL = ("", "拾", "佰", "仟")
_BIG = ("", "万", "亿")
VOCAB = set(DIGITS + "拾佰仟万亿元角分整")
_MAX = Decimal("999999999999.99")

# OCR misreads (tesseract chi_sim, fast model, serif faces) of money characters, measured on rendered
# receipts: only misreads seen at least twice and (nearly) always for the same character are listed
# (吉 was read for 贰 3 times and for 壹 once: listed under 贰, so a printed 壹 read as 吉 fails
# safe when 贰 is not expected). A misread is listed under the ONE character it stands for; checked
# at import time so that no read character can stand for two different money characters.
CONFUSIONS: dict[str, str] = {
    "壹": "过喜总",
    "贰": "起惑式吉",
    "叁": "参会",
    "柒": "业类染",
    "捌": "抽拥制揭",
    "拾": "抬恰",
    "仟": "什仔任他作",
    "整": "束",
}


def _check_confusions() -> dict[str, str]:
    inverse: dict[str, str] = {}
    for true, reads in CONFUSIONS.items():
        for ch in reads:
            if ch == true:
                continue
            if ch in VOCAB:
                raise ValueError(f"confusion {ch!r} -> {true!r} is itself a money character")
            if ch in inverse and inverse[ch] != true:
                raise ValueError(f"confusion {ch!r} stands for both {inverse[ch]!r} and {true!r}")
            inverse[ch] = true
    return inverse


_INVERSE = _check_confusions()


def _to_cents(amount) -> int:
    try:
        amt = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount: {amount!r}") from exc
    if not amt.is_finite():
        raise ValueError(f"not a finite amount: {amount!r}")
    cents = amt * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"more than two decimals: {amount!r}")
    if cents < 1 or amt > _MAX:
        raise ValueError(f"amount out of range 0.01 .. 999999999999.99: {amount!r}")
    return int(cents)


def _integer_words(n: int, strict: bool) -> str:
    """Words for a positive integer, without 元.

    strict: every zero run inside the number is written 零, also across a 万/亿 boundary and after
    the last non-zero group digit (101000 -> 壹拾万零壹仟). Short: zeros that end a 万/亿 group
    are not written (101000 -> 壹拾万壹仟).
    """
    digits = str(n)
    size = len(digits)
    out: list[str] = []
    pending = False
    group_nonzero = False
    for i, ch in enumerate(digits):
        pos = size - 1 - i
        d = ord(ch) - 48
        if d == 0:
            if out:
                pending = True
        else:
            if pending:
                out.append("零")
                pending = False
            out.append(DIGITS[d] + _SMALL[pos % 4])
            group_nonzero = True
        if pos % 4 == 0 and pos:
            if group_nonzero:
                out.append(_BIG[pos // 4])
                if not strict:
                    pending = False
            group_nonzero = False
    return "".join(out)


def amount_in_words(amount, strict: bool = True) -> str:
    """大写 words for an amount: ``Decimal('6040') -> '陆仟零肆拾元整'``.

    ``strict=True`` (default): the strict banking form, every inner zero run written once as 零
    (``101000 -> 壹拾万零壹仟元整``, ``1680.32 -> 壹仟陆佰捌拾元零叁角贰分``, ``10.5 -> 壹拾元零伍角``).
    ``strict=False``: the short form that omits 零 where the rules allow (``壹拾万壹仟元整``,
    ``壹仟陆佰捌拾元叁角贰分``). 整 only when there are no 角/分. Raises ValueError out of range.
    """
    cents = _to_cents(amount)
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    out = _integer_words(yuan, strict) + "元" if yuan else ""
    if not jiao and not fen:
        return out + "整"
    if jiao:
        if strict and yuan and yuan % 10 == 0:
            out += "零"
        out += DIGITS[jiao] + "角"
    elif yuan:
        out += "零"
    if fen:
        out += DIGITS[fen] + "分"
    return out


def amount_in_words_forms(amount) -> list[str]:
    """Every accepted spelling of ``amount`` (strict, short, and the strict/short mixes)."""
    forms = {amount_in_words(amount, True), amount_in_words(amount, False)}
    cents = _to_cents(amount)
    yuan, rest = divmod(cents, 100)
    if yuan and rest and rest >= 10:  # 角 after a 0 units digit: with and without 零
        ipart_s = _integer_words(yuan, True)
        ipart_n = _integer_words(yuan, False)
        tail = DIGITS[rest // 10] + "角" + (DIGITS[rest % 10] + "分" if rest % 10 else "")
        for ip in (ipart_s, ipart_n):
            forms.add(ip + "元" + tail)
            forms.add(ip + "元零" + tail)
    if yuan and not rest:
        forms |= {f[:-1] for f in list(forms) if f.endswith("整")}  # some banks drop 整
    return sorted(forms)


_STRIP = re.compile(r"[\s:：()（）\[\]|,，.。·'\"`_\-—~]+")


def normalise_words(text: str) -> str:
    """Words as read, without spaces/punctuation and the 人民币 / 大写 prefixes."""
    t = _STRIP.sub("", text or "")
    for prefix in ("人民币", "民币", "币"):
        i = t.find(prefix)
        if 0 <= i <= 8:
            t = t[i + len(prefix) :]
            break
    return t


def _agrees(read: str, expected: str) -> bool:
    if len(read) != len(expected):
        return False
    for r, e in zip(read, expected, strict=True):
        if r == e:
            continue
        if r in VOCAB or _INVERSE.get(r) != e:
            return False
    return True


def words_match(words_read: str, amount) -> bool:
    """True when the words read spell ``amount`` (tolerating only known OCR confusions)."""
    read = normalise_words(words_read)
    if not read:
        return False
    try:
        forms = amount_in_words_forms(amount)
    except ValueError:
        return False
    return any(_agrees(read, f) for f in forms)


def words_to_amount(words_read: str) -> Decimal | None:
    """Best-effort value of the words (after mapping known confusions); None if not parseable.

    Used to explain a mismatch in the review reason, and as the amount of a receipt whose figure is
    unreadable (always flagged for review); never to accept an amount.
    """
    t = "".join(_INVERSE.get(ch, ch) for ch in normalise_words(words_read))
    t = t.rstrip("整正")
    if not t or any(ch not in VOCAB for ch in t):
        return None
    units = {"拾": 10, "佰": 100, "仟": 1000}
    total = 0
    section = 0
    digit: int | None = None
    frac = Decimal(0)
    for ch in t:
        if ch in DIGITS:
            if digit is not None and ch != "零":
                return None
            digit = DIGITS.index(ch) if ch != "零" else None
        elif ch in units:
            section += (digit if digit is not None else 1) * units[ch]
            digit = None
        elif ch in "万亿":
            section += digit or 0
            digit = None
            mult = 10_000 if ch == "万" else 100_000_000
            if ch == "亿":
                total = (total + section) * mult
            else:
                total += section * mult
            section = 0
        elif ch == "元":
            section += digit or 0
            digit = None
            total += section
            section = 0
        elif ch in "角分":
            if digit is None:
                return None
            frac += Decimal(digit) / (10 if ch == "角" else 100)
            digit = None
    if digit is not None or section:
        total += section + (digit or 0)
    value = (Decimal(total) + frac).quantize(Decimal("0.01"))
    return value if value > 0 else None
