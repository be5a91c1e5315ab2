"""The round's results workbook from the host console: who may download it and what it says."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from quiz.engine.clock import from_epoch_ms
from quiz.models import Contestant
from quiz.protocol import HostCommand
from quiz.services.answers import PendingAnswer, answers_record
from quiz.services.rounds import round_command, round_create
from tests.factories import HostRoleFactory, QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def played():
    """Two questions played: Ann right after 2 s with her tap time, 「=1+1」 wrong; question 1 paused."""
    role = HostRoleFactory()
    round_ = round_create(
        competition=role.competition,
        title="区赛第一场",
        questions=[QuestionFactory(correct=[1]), QuestionFactory(correct=[0], stem="=HYPERLINK(1)")],
    )
    ann = Contestant.objects.create(round=round_, nickname="Ann", time_factor=150)
    formula = Contestant.objects.create(round=round_, nickname="=1+1")
    start = timezone.now()

    def at(seconds):
        return start + timedelta(seconds=seconds)

    def command(seconds, action, **fields):
        round_command(
            user=role.user, round_id=round_.id, command=HostCommand(action, **fields), now=at(seconds)
        )

    command(0, "open", question=0)
    tapped = from_epoch_ms(int(at(1.5).timestamp() * 1000))
    answers_record(
        [
            PendingAnswer(
                ann.id, round_.id, 0, (1,), at(2), client_elapsed_ms=1500, rtt_ms=40, tapped_at=tapped
            ),
            PendingAnswer(formula.id, round_.id, 0, (2,), at(3)),
        ]
    )
    command(4, "reveal", question=0)
    command(10, "open", question=1)
    command(11, "pause")
    command(71, "resume")
    answers_record([PendingAnswer(ann.id, round_.id, 1, (0,), at(73))])
    command(80, "reveal", question=1)
    return round_, role.user, ann, tapped


def download(client, user, round_):
    client.force_login(user)
    return client.get(reverse("host-results-xlsx", args=[round_.id]))


def rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_host_downloads_the_rounds_results_as_a_workbook(client, played):
    round_, host, _, tapped = played

    response = download(client, host, round_)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["汇总", "按选手", "按题目", "题目"]

    # standings: Ann first with both questions' points, the formula-like nickname neutralised
    summary = rows(wb["汇总"])
    header = summary.index(
        ["名次", "选手", "队伍", "总分", "答对题数", "答对用时（毫秒）", "答题数", "时间倍数", "状态"]
    )
    first, second = summary[header + 1], summary[header + 2]
    # Ann: q0 t = 2,000 of T = 30,000 (x1.5); q1 t = 73 - 10 - 60 (paused) = 3,000 of 30,000
    q0 = (1000 * (60_000 - 2_000) + 30_000) // 60_000
    q1 = (1000 * (60_000 - 3_000) + 30_000) // 60_000
    assert first == [1, "Ann", None, q0 + q1, 2, 5_000, 2, "×1.5", None]
    assert second[:5] == [2, "'=1+1", None, 0, 0]

    # every answer, by contestant: the times that decided it and the evidence beside them
    answers = rows(wb["按选手"])
    assert answers[0][:9] == [
        "题号",
        "选手",
        "队伍",
        "作答",
        "正确答案",
        "是否答对",
        "得分",
        "答题用时 t（毫秒）",
        "时限 T（毫秒）",
    ]
    ann_q0, ann_q1, formula_q0 = answers[1], answers[2], answers[3]
    assert ann_q0[:9] == [1, "Ann", None, "B", "B", "是", q0, 2_000, 30_000]
    assert ann_q0[10] == timezone.localtime(tapped).strftime("%Y-%m-%d %H:%M:%S.") + (
        f"{timezone.localtime(tapped).microsecond // 1000:03d}"
    )
    assert ann_q0[11:] == [1500, 40, "计分"]
    assert ann_q1[:9] == [2, "Ann", None, "A", "A", "是", q1, 3_000, 30_000]
    assert formula_q0[1:8] == ["'=1+1", None, "C", "B", "否", 0, 3_000]
    # by question: the same answers in question order
    assert [r[:2] for r in rows(wb["按题目"])[1:]] == [[1, "Ann"], [1, "'=1+1"], [2, "Ann"]]
    # the questions, with the paused time and a stem that looks like a formula neutralised
    questions = rows(wb["题目"])
    assert questions[2][1] == "'=HYPERLINK(1)"
    assert questions[2][7] == 60_000 and questions[2][8] == 1


def test_only_a_host_of_the_rounds_competition_may_download_its_results(client, played):
    round_, _, _, _ = played

    assert download(client, UserFactory(), round_).status_code == 403
    client.logout()
    anonymous = client.get(reverse("host-results-xlsx", args=[round_.id]))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_the_host_console_links_to_the_results(client, played):
    round_, host, _, _ = played
    client.force_login(host)

    page = client.get(reverse("host-console", args=[round_.id])).content.decode()

    assert reverse("host-results-xlsx", args=[round_.id]) in page


def test_typed_answers_are_written_as_typed_with_the_key_and_the_rounds_judgement(client):
    # given a short-answer and a numerical question, answered right (traditional, full width) and wrong
    role = HostRoleFactory()
    short = QuestionFactory(kind="short", choices=[], correct=[], accepted_answers=["万里长城", "长城"])
    number = QuestionFactory(
        kind="numerical", choices=[], correct=[], numeric_value=8848.86, tolerance=0.5, unit="m"
    )
    round_ = round_create(competition=role.competition, title="填空", questions=[short, number])
    ann = Contestant.objects.create(round=round_, nickname="Ann")
    bob = Contestant.objects.create(round=round_, nickname="Bob")
    start = timezone.now()
    for index in (0, 1):
        round_command(
            user=role.user,
            round_id=round_.id,
            command=HostCommand("open", question=index),
            now=start + timedelta(seconds=10 * index),
        )
        texts = {0: ("萬里長城", "=故宫"), 1: ("８８４９ m", "8000")}[index]
        answers_record(
            [
                PendingAnswer(
                    ann.id, round_.id, index, (), start + timedelta(seconds=10 * index + 1), text=texts[0]
                ),
                PendingAnswer(
                    bob.id, round_.id, index, (), start + timedelta(seconds=10 * index + 2), text=texts[1]
                ),
            ]
        )
        round_command(
            user=role.user,
            round_id=round_.id,
            command=HostCommand("reveal", question=index),
            now=start + timedelta(seconds=10 * index + 5),
        )

    # when the host downloads the results
    wb = load_workbook(io.BytesIO(download(client, role.user, round_).content))

    # then each answer is as typed (a formula neutralised), with the key and whether it counted
    answers = rows(wb["按题目"])
    assert [r[1:6] for r in answers[1:]] == [
        ["Ann", None, "萬里長城", "万里长城｜长城", "是"],
        ["Bob", None, "'=故宫", "万里长城｜长城", "否"],
        ["Ann", None, "８８４９ m", "8848.86 ± 0.5 m", "是"],
        ["Bob", None, "8000", "8848.86 ± 0.5 m", "否"],
    ]
    assert [r[3] for r in rows(wb["题目"])[1:]] == ["万里长城｜长城", "8848.86 ± 0.5 m"]
