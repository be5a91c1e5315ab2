"""Nickname rules: normalised, 1-20 characters, printable, and not offensive (Chinese and English)."""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 20

# Kept short on purpose: hosts can kick what slips through. Words that are also parts of innocent
# names are left out ("尼玛" is a Tibetan given name; "他妈" is inside "其他妈妈").
BLOCKED_CJK = (
    "傻逼",
    "傻b",
    "煞笔",
    "沙比",
    "操你",
    "草你",
    "肏",
    "你妈的",
    "妈的",
    "王八蛋",
    "贱人",
    "婊子",
    "滚蛋",
    "去死",
    "废物",
    "白痴",
    "脑残",
    "狗日",
    "日你",
    "鸡巴",
    "屌",
    "屄",
    "法轮",
)
BLOCKED_LATIN = (
    # (whole-word-ish stems only: "dick", "cock" or "rape" would also block Dickens, peacock and grape)
    "fuck",
    "shit",
    "bitch",
    "cunt",
    "pussy",
    "asshole",
    "bastard",
    "nigger",
    "nigga",
    "faggot",
    "whore",
    "slut",
    "hitler",
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
    # Tabs and line breaks are control characters but also white space: they collapse to one space.
    text = "".join(ch for ch in text if ch.isspace() or unicodedata.category(ch)[0] != "C")
    return " ".join(text.split())


def is_offensive(nickname: str) -> bool:
    """Chinese words match anywhere once spaces and punctuation are gone ("傻 逼"); Latin words match
    within one space-separated word ("F.u.c.k" and "f u c k" yes, "Sushi Time" no)."""
    text = normalise(nickname).casefold()
    joined = _NOT_LETTERS.sub("", text)
    if any(word in joined for word in BLOCKED_CJK):
        return True
    return any(word in token for token in _latin_words(text) for word in BLOCKED_LATIN)


def _latin_words(text: str) -> list[str]:
    """Space-separated words with punctuation removed; runs of single letters ("f u c k") join up."""
    words: list[str] = []
    letters = ""
    for token in (_NOT_LETTERS.sub("", t) for t in text.split()):
        if len(token) == 1:
            letters += token
            continue
        if letters:
            words.append(letters)
            letters = ""
        words.append(token)
    if letters:
        words.append(letters)
    return words


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
