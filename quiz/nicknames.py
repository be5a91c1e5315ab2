"""Nickname rules: normalised, 1-20 characters, printable, and not offensive (Chinese and English)."""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 20

# Matched against the nickname folded to lower case with spaces, punctuation and digits removed, so
# "S.h.i.t" and "傻 逼" are caught too. Kept short on purpose: hosts can kick what slips through.
BLOCKED = (
    # Chinese
    "傻逼", "傻b", "煞笔", "沙比", "操你", "草你", "肏", "你妈", "尼玛", "他妈", "妈的", "王八蛋",
    "贱人", "婊子", "滚蛋", "去死", "废物", "白痴", "脑残", "狗日", "日你", "鸡巴", "屌", "屄", "法轮",
    # English
    # (whole-word-ish stems only: "dick", "cock" or "rape" would also block Dickens, peacock and grape)
    "fuck", "shit", "bitch", "cunt", "pussy", "asshole", "bastard", "nigger", "nigga", "faggot", "whore",
    "slut", "hitler",
)

_NOT_LETTERS = re.compile(r"[\W\d_]+", re.UNICODE)


class NicknameError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def normalise(raw: str) -> str:
    """NFKC (full-width to half-width), control characters dropped, inner white space collapsed."""
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    return " ".join(text.split())


def is_offensive(nickname: str) -> bool:
    folded = _NOT_LETTERS.sub("", normalise(nickname).casefold())
    return any(word in folded for word in BLOCKED)


def validate(raw: str) -> str:
    """The nickname to store, or NicknameError with code nickname_invalid / nickname_offensive."""
    nickname = normalise(raw)
    if not nickname:
        raise NicknameError("nickname_invalid", "choose a nickname")
    if len(nickname) > MAX_LENGTH:
        raise NicknameError("nickname_invalid", f"nicknames are at most {MAX_LENGTH} characters")
    if is_offensive(nickname):
        raise NicknameError("nickname_offensive", "please choose another nickname")
    return nickname
