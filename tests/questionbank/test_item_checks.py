"""Item-writing checks (questionbank.engine.item_checks): one table per check, and the checks across a set."""

from __future__ import annotations

import pytest

from questionbank.engine.item_checks import (
    Item,
    absolute_words,
    bank_flags,
    correct_count,
    explanation_giveaways,
    item_flags,
    key_longest,
    key_longest_share,
    negative_stem,
    stem_repeats_key,
    vague_source,
)

SOURCE = "《中国居民膳食指南（2022）》，人民卫生出版社，2022年"


def single(stem: str, choices: list[str], right: int = 0, **more) -> Item:
    return Item(key="q", stem=stem, kind="single", choices=tuple(choices), correct=(right,), **more)


@pytest.mark.parametrize(
    ("choices", "flagged"),
    [
        (["能够把化学能直接转化为电能的装置", "电动机", "发电机", "变压器"], True),
        (["电池", "电动机", "发电机", "变压器"], False),
        (["能量转化装置", "能量储存装置", "能量传输装置", "能量测量装置"], False),  # all long
        (["一二三四五六", "一二三四", "一", "二"], False),  # 1.5x but only 2 characters more
        (["一二三四五六七", "一二三四", "一", "二"], True),  # 1.75x and 3 more
        (["Ａ Ｂ Ｃ Ｄ Ｅ Ｆ Ｇ", "abcd", "a", "b"], True),  # full-width, spaces ignored
    ],
)
def test_a_key_far_longer_than_every_distractor_is_flagged(choices, flagged):
    assert (key_longest(single("下列哪一个是电池？", choices)) is not None) is flagged


def test_key_length_is_not_checked_for_true_false_or_two_choices():
    assert key_longest(single("对吗？", ["非常非常非常长的一个选项", "短"])) is None
    assert key_longest(Item("q", "对吗？", "truefalse", ("正确", "错误"), (0,))) is None


@pytest.mark.parametrize(
    ("choices", "right", "words"),
    [
        (["适量运动有益健康", "所有运动都有益健康", "运动一定能治病", "每天都要剧烈运动"], 0, "一定、所有"),
        (
            ["所有哺乳动物都用肺呼吸", "鱼用肺呼吸", "鸟用鳃呼吸", "蛙只用鳃呼吸"],
            0,
            "",
        ),  # the key says it too
        (["在一定程度上可以缓解", "完全无效", "能根治", "有毒"], 0, "完全"),  # 一定程度 is not absolute
        (["It helps", "It always cures", "It never works", "It is poison"], 0, "always、never"),
        (["Take all of it", "Take some", "Take none", "Take half"], 1, "all、none"),
    ],
)
def test_absolute_words_only_in_distractors_are_flagged(choices, right, words):
    flag = absolute_words(single("关于运动，下列说法正确的是？", choices, right))

    assert (flag.message.split(" ")[3].rstrip(";") if flag else "") == words


@pytest.mark.parametrize(
    ("stem", "choices", "flagged"),
    [
        ("植物进行光合作用的场所是？", ["叶绿体", "线粒体", "细胞核", "液泡"], False),
        ("豆科植物根瘤中能固氮的是？", ["根瘤菌", "酵母菌", "乳酸菌", "霉菌"], True),  # 根瘤 only in the key
        ("豆科植物根瘤中能固氮的是？", ["根瘤菌", "根瘤液", "乳酸菌", "霉菌"], False),  # a distractor too
        ("Which planet has rings?", ["Saturn with rings", "Mars", "Venus", "Mercury"], True),
    ],
)
def test_a_key_that_repeats_the_stem_alone_is_flagged(stem, choices, flagged):
    assert (stem_repeats_key(single(stem, choices)) is not None) is flagged


@pytest.mark.parametrize(
    ("stem", "kind", "flagged"),
    [
        ("下列说法中不正确的是？", "single", True),
        ("下列说法中（不正确）的是？", "single", False),
        ("下列说法中“不正确”的是？", "single", False),
        ("下列说法中**不正确**的是？", "multiple", False),
        ("下列做法中，错误的是？", "multiple", True),
        ("下列物质中，没有毒性的是？", "single", True),
        ("下列说法正确的是？", "single", False),
        ("微波炉加热的食物不会带有放射性。", "truefalse", False),  # a statement to judge, not a question
        ("Which of these is not a mammal?", "single", True),
        ("Which of these is NOT a mammal?", "single", False),
    ],
)
def test_a_negative_stem_without_emphasis_is_flagged(stem, kind, flagged):
    item = Item("q", stem, kind, ("甲", "乙", "丙"), (0,))

    assert (negative_stem(item) is not None) is flagged


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("", "no source; cite the title, the edition or date, and the page"),
        (
            "课本",
            "the source has no title and no date; cite it as 《title》 (edition or year), article or page",
        ),
        (
            "《中国居民膳食指南》",
            "the source has no date; cite it as 《title》 (edition or year), article or page",
        ),
        (
            "人民卫生出版社，2022年",
            "the source has no title; cite it as 《title》 (edition or year), article or page",
        ),
        (SOURCE, None),
        ("GB 2894-2008《安全标志及其使用导则》", None),
        ("https://www.nhc.gov.cn/ 2024年", None),
    ],
)
def test_a_source_without_a_title_or_a_date_is_vague(source, message):
    flag = vague_source(Item("q", "题干", source=source))

    assert (flag.message if flag else None) == message


def test_a_well_written_question_has_no_flags():
    item = single("成年人每天食盐摄入量建议不超过多少克？", ["3克", "5克", "8克", "10克"], 1, source=SOURCE)

    assert item_flags(item) == []


# --- across questions ---------------------------------------------------------------------------------------


def singles_with_longest_keys(longest: int, total: int) -> list[Item]:
    """``total`` four-choice questions, the key the longest option in the first ``longest`` of them."""
    return [
        Item(
            f"q{n}",
            f"第{n}题？",
            "single",
            ("甲乙丙", "甲乙", "甲乙", "甲乙") if n < longest else ("甲乙", "甲乙丙", "甲乙", "甲乙"),
            (0,),
        )
        for n in range(total)
    ]


@pytest.mark.parametrize(
    ("longest", "total", "flagged"),
    [
        (5, 20, False),  # 25%: chance
        (8, 20, False),  # 40%: within two standard errors of 25% (at most 44%)
        (9, 20, True),  # 45%
        (30, 100, False),
        (37, 100, True),  # 37% of 100 against at most 33.7%
        (19, 19, False),  # too few questions to judge
    ],
)
def test_keys_that_are_the_longest_option_more_often_than_chance_are_flagged(longest, total, flagged):
    assert (key_longest_share(singles_with_longest_keys(longest, total)) is not None) is flagged


def multiples(counts: list[int], choices: int = 4) -> list[Item]:
    return [
        Item(f"m{n}", f"第{n}题？", "multiple", tuple("ABCDEF"[:choices]), tuple(range(k)))
        for n, k in enumerate(counts)
    ]


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ([2, 3, 2, 3, 4, 2], None),
        ([3, 3, 3, 3, 3, 2], "5 of 6 multiple-choice questions have 3 correct answers"),
        ([4, 4, 4, 2, 3, 2], "3 of 6 multiple-choice questions have every choice right"),
        ([3, 3, 3, 3], None),  # too few to judge
    ],
)
def test_a_predictable_number_of_correct_answers_is_flagged(counts, message):
    flag = correct_count(multiples(counts))

    assert (flag.message.split(";")[0] if flag else None) == message


def test_an_explanation_that_answers_another_question_is_flagged():
    salt = Item(
        "salt", "成年人每天食盐摄入量建议不超过多少克？", "single", ("3克", "5克", "8克", "10克"), (1,)
    )
    oil = Item(
        "oil",
        "成年人每天烹调油摄入量建议是多少？",
        "single",
        ("25～30克", "50克", "10克", "80克"),
        (0,),
        explanation="膳食指南建议成年人每天食盐摄入量不超过5克，烹调油25～30克。",
    )
    unrelated = Item(
        "sky", "天空为什么是蓝色的？", "single", ("散射", "反射"), (0,), explanation="5克的盐与此无关。"
    )

    flags = explanation_giveaways([salt, oil, unrelated])

    assert [(f.key, f.message.split(";")[0]) for f in flags] == [
        ("oil", "the explanation answers salt (“5克”)")
    ]
    assert explanation_giveaways([salt, oil, unrelated], about="sky") == []
    assert len(explanation_giveaways([salt, oil, unrelated], about="salt")) == 1


def test_an_explanation_naming_a_distractor_too_gives_nothing_away():
    salt = Item("salt", "成年人每天食盐摄入量建议不超过多少克？", "single", ("3克", "5克"), (1,))
    other = Item(
        "other",
        "别的题？",
        "single",
        ("甲", "乙"),
        (0,),
        explanation="成年人每天食盐摄入量：3克太少，5克为上限。",
    )

    assert explanation_giveaways([salt, other]) == []


def test_bank_flags_list_each_question_then_the_set():
    items = [*multiples([3, 3, 3, 3, 3]), single("下列说法中不正确的是？", ["甲", "乙", "丙"], source=SOURCE)]

    assert [(f.key, f.check) for f in bank_flags(items)] == [
        *[(f"m{n}", "vague-source") for n in range(5)],
        ("q", "negative-stem"),
        ("", "correct-count"),
    ]
