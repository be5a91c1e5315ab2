"""Nickname rules (quiz.nicknames): normalised, 1-20 characters, printable, not offensive."""

from __future__ import annotations

import pytest

from quiz.nicknames import MAX_LENGTH, NicknameError, is_offensive, normalise, validate

NORMALISED = [
    ("Ann", "Ann", "plain ASCII is kept"),
    ("ＡＢＣ１２３", "ABC123", "full-width letters and digits become half-width"),
    ("Ｌｉ　Ｍｉｎｇ", "Li Ming", "a full-width name with an ideographic space"),
    ("ﬁsh", "fish", "a ligature is spelled out"),
    ("  Ann  ", "Ann", "outer spaces are trimmed"),
    ("Li    Ming", "Li Ming", "inner spaces collapse to one"),
    ("\u3000小明\u3000", "小明", "ideographic spaces are trimmed"),
    ("Li\u00a0Ming", "Li Ming", "a no-break space is a space"),
    ("Li\tMing", "Li Ming", "a tab is white space"),
    ("Li\r\n\nMing", "Li Ming", "line breaks are white space"),
    ("A\x00B", "AB", "a NUL is dropped"),
    ("\x07Bell\x1b", "Bell", "control characters are dropped"),
    ("Li\u200bMing", "LiMing", "a zero-width space is dropped"),
    ("\u202eAnn", "Ann", "a right-to-left override is dropped"),
    ("\ufeffAnn", "Ann", "a byte-order mark is dropped"),
    ("Ann \u200b Lee", "Ann Lee", "spaces around a dropped character still collapse"),
    ("王小二", "王小二", "Chinese is kept"),
    ("Zoë", "Zoë", "accented letters are kept"),
]


@pytest.mark.parametrize(("raw", "expected"), [c[:2] for c in NORMALISED], ids=[c[2] for c in NORMALISED])
def test_normalise_folds_width_drops_control_characters_and_collapses_white_space(raw, expected):
    assert normalise(raw) == expected


def test_normalise_composes_combining_marks():
    assert normalise("Zoe\u0308") == "Zoë"
    assert len(normalise("Zoe\u0308")) == 3


@pytest.mark.parametrize(
    "raw",
    ["Ann", "小明", "Ｌｉ　Ｍｉｎｇ", "  a\tb  ", "\x00x"],
    ids=["ascii", "chinese", "full-width", "spaces", "control"],
)
def test_normalise_is_idempotent(raw):
    once = normalise(raw)

    assert normalise(once) == once


VALID = [
    ("Ann", "Ann", "a short name"),
    ("a", "a", "one character"),
    ("x" * MAX_LENGTH, "x" * MAX_LENGTH, "20 ASCII characters"),
    ("中" * MAX_LENGTH, "中" * MAX_LENGTH, "20 Chinese characters"),
    ("ａ" * MAX_LENGTH, "a" * MAX_LENGTH, "20 full-width characters"),
    ("Li" + " " * 10 + "Ming" + "x" * 13, "Li Ming" + "x" * 13, "20 after collapsing spaces"),
    ("  " + "x" * MAX_LENGTH + "  ", "x" * MAX_LENGTH, "20 after trimming"),
    ("x" * MAX_LENGTH + "\u200b", "x" * MAX_LENGTH, "20 after dropping an invisible character"),
    ("Team 7", "Team 7", "digits"),
    ("小明2026", "小明2026", "Chinese with digits"),
]


@pytest.mark.parametrize(("raw", "stored"), [c[:2] for c in VALID], ids=[c[2] for c in VALID])
def test_validate_returns_the_normalised_nickname(raw, stored):
    assert validate(raw) == stored


INVALID = [
    ("", "empty"),
    ("   ", "only spaces"),
    ("\u3000\u3000", "only ideographic spaces"),
    ("\t\n", "only tabs and line breaks"),
    ("\x00\x01\x02", "only control characters"),
    ("\u200b\u200d", "only zero-width characters"),
    ("x" * (MAX_LENGTH + 1), "21 ASCII characters"),
    ("中" * (MAX_LENGTH + 1), "21 Chinese characters"),
    ("ａ" * (MAX_LENGTH + 1), "21 full-width characters"),
    ("Li Ming " * 3, "21 with spaces after trimming"),
    ("㍿" * 6, "6 characters that spell out to 24"),
]


@pytest.mark.parametrize("raw", [c[0] for c in INVALID], ids=[c[1] for c in INVALID])
def test_an_empty_or_over_long_nickname_is_invalid(raw):
    with pytest.raises(NicknameError) as refused:
        validate(raw)

    assert refused.value.code == "nickname_invalid"
    assert refused.value.message


OFFENSIVE = [
    ("傻逼", "Chinese insult"),
    ("傻 逼", "Chinese insult with a space"),
    ("傻.逼", "Chinese insult with punctuation"),
    ("傻\u3000逼", "Chinese insult with an ideographic space"),
    ("傻\u200b逼", "Chinese insult with a zero-width space"),
    ("傻2逼", "Chinese insult split by a digit"),
    ("傻B", "Chinese insult with a capital letter"),
    ("小明是傻逼", "Chinese insult inside a name"),
    ("操你", "Chinese curse"),
    ("你妈的", "Chinese curse with a particle"),
    ("王八蛋", "王八蛋"),
    ("法轮", "banned movement"),
    ("fuck", "English swear word"),
    ("FUCK", "upper case"),
    ("FuCk", "mixed case"),
    ("f u c k", "spaced out"),
    ("F.U.C.K", "dotted"),
    ("f*u*c*k", "starred"),
    ("f_u_c_k", "underscored"),
    ("ｆｕｃｋ", "full-width"),
    ("S.h.i.t", "dotted mixed case"),
    ("Shit happens", "at the start of a phrase"),
    ("bullshit", "inside a word"),
    ("bitch123", "with digits"),
    ("Hitler", "a name used as an insult"),
]


@pytest.mark.parametrize("raw", [c[0] for c in OFFENSIVE], ids=[c[1] for c in OFFENSIVE])
def test_an_offensive_nickname_is_refused(raw):
    assert is_offensive(raw)

    with pytest.raises(NicknameError) as refused:
        validate(raw)

    assert refused.value.code == "nickname_offensive"


INNOCENT = [
    "Dickens",
    "peacock",
    "grape",
    "Lisbon",
    "小明",
    "王小二",
    "Hancock",
    "Therapist",
    "Cocktail",
    "Assassin",
    "操场小王",
    "妈妈",
    "死去活来",
    "白云",
    "王八角",
]


@pytest.mark.parametrize("raw", INNOCENT)
def test_an_innocent_name_with_blocked_looking_letters_is_accepted(raw):
    assert not is_offensive(raw)
    assert validate(raw) == raw


def test_an_over_long_offensive_nickname_is_reported_as_too_long():
    with pytest.raises(NicknameError) as refused:
        validate("傻逼" * 11)

    assert refused.value.code == "nickname_invalid"


NEAR_MISSES = [
    ("尼玛次仁", "a common Tibetan given name (Nyima Tsering) contains 尼玛"),
    ("其他妈妈", "'other mothers' contains 他妈"),
    ("Sushi Time", "removing the space would join 'sushi time' into '...shit...'"),
    ("Mash It", "removing the space would join 'mash it' into '...shit...'"),
]


@pytest.mark.parametrize("raw", [c[0] for c in NEAR_MISSES], ids=[c[1] for c in NEAR_MISSES])
def test_names_whose_letters_only_meet_a_blocked_word_across_a_space_are_accepted(raw):
    assert validate(raw) == raw


FALSE_POSITIVES = [
    ("Scunthorpe", "an English town containing a blocked stem"),
]


@pytest.mark.xfail(strict=True, reason="known limitation: a blocked stem inside one word is refused")
@pytest.mark.parametrize("raw", [c[0] for c in FALSE_POSITIVES], ids=[c[1] for c in FALSE_POSITIVES])
def test_real_names_and_phrases_that_merely_contain_a_blocked_stem_are_accepted(raw):
    assert validate(raw) == raw
