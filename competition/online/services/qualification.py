"""Qualification: the organiser's rule and cut-off give a list of qualifiers per district; invitations
accepted become the district teams' registrations (members, substitutes, captain, contestant codes) in
the competition's own model, so code cards, rosters and matches work on them as on any team.

Rules (``QualificationRun.rule``):

- ``points``: season points earned up to the cut-off (attempts finished and duels played by then), tie
  chain as on the boards: points, correct answers, less answering time, earlier registration, id.
- ``challenge``: the best timed challenge finished by the cut-off: most correct, then less time.

Contestants held for fair play (an open or upheld flag) are left out; clearing them and listing again
brings them in.

How it is computed: when nothing of the stage finished after the cut-off (the usual case: the cut-off is
now, or the stage's end), the running figures kept on each contestant are exactly the figures up to the
cut-off, and each district's top K is one index scan (``LATERAL`` over the districts, on the
``online_board_district`` and ``online_challenge_district`` indexes): milliseconds at 740,000
contestants. A cut-off in the past, with fewer attempts after it than before it (the usual mid-season
case), reads each district's contestants in the order of their running points and subtracts what each
earned after the cut-off, only as deep as the ranking needs (``_points_by_bound``: about a second at
that size). Otherwise (an early cut-off) the figures are summed from the attempts and duels finished by
the cut-off and ranked with window functions (seconds at that size).
"""

from __future__ import annotations

import secrets
from contextlib import suppress
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from competition.models import District, Registration, Team
from competition.online.errors import OnlineError
from competition.online.models import (
    Attempt,
    Contestant,
    Duel,
    Mode,
    OnlineStage,
    QualificationRun,
    Qualifier,
)
from competition.online.sms import SmsError, sms_backend
from competition.services import registration_code_generate

POINTS_SQL = """
WITH figures AS (
    SELECT x.contestant_id, SUM(x.points) AS points, SUM(x.correct) AS correct, SUM(x.ms) AS ms FROM (
        SELECT a.contestant_id, a.points, a.correct, a.answer_ms AS ms
        FROM online_attempt a JOIN online_contestant c ON c.id = a.contestant_id
        WHERE c.stage_id = %(stage)s AND a.finished_at <= %(cutoff)s
        UNION ALL
        SELECT s.contestant_id, s.points, s.correct, 0
        FROM online_duelseat s JOIN online_duel d ON d.id = s.duel_id
        WHERE d.stage_id = %(stage)s AND d.finished_at <= %(cutoff)s
    ) x GROUP BY x.contestant_id
), ranked AS (
    SELECT c.id, c.district_id, f.points, f.correct, f.ms,
           ROW_NUMBER() OVER (
               PARTITION BY c.district_id
               ORDER BY f.points DESC, f.correct DESC, f.ms ASC, c.registered_at ASC, c.id ASC
           ) AS n
    FROM figures f JOIN online_contestant c ON c.id = f.contestant_id
    WHERE c.stage_id = %(stage)s AND NOT c.held AND f.points > 0
)
SELECT id, district_id, n, points, correct, ms FROM ranked WHERE n <= %(k)s ORDER BY district_id, n
"""

CHALLENGE_SQL = """
WITH best AS (
    SELECT a.contestant_id, a.correct, a.answer_ms,
           ROW_NUMBER() OVER (PARTITION BY a.contestant_id ORDER BY a.correct DESC, a.answer_ms ASC) AS b
    FROM online_attempt a JOIN online_contestant c ON c.id = a.contestant_id
    WHERE c.stage_id = %(stage)s AND a.mode = 'challenge' AND a.finished_at <= %(cutoff)s AND a.correct > 0
), ranked AS (
    SELECT c.id, c.district_id, best.correct, best.answer_ms AS ms,
           ROW_NUMBER() OVER (
               PARTITION BY c.district_id
               ORDER BY best.correct DESC, best.answer_ms ASC, c.registered_at ASC, c.id ASC
           ) AS n
    FROM best JOIN online_contestant c ON c.id = best.contestant_id
    WHERE best.b = 1 AND NOT c.held
)
SELECT id, district_id, n, correct, correct, ms FROM ranked WHERE n <= %(k)s ORDER BY district_id, n
"""


POINTS_NOW_SQL = """
SELECT c.id, c.district_id, c.n, c.points, c.correct, c.answer_ms
FROM competition_district d
JOIN competition_division v ON v.id = d.division_id AND v.competition_id = %(competition)s
CROSS JOIN LATERAL (
    SELECT x.id, x.district_id, x.points, x.correct, x.answer_ms,
           ROW_NUMBER() OVER (
               ORDER BY x.points DESC, x.correct DESC, x.answer_ms ASC, x.registered_at ASC, x.id ASC
           ) AS n
    FROM (
        SELECT id, district_id, points, correct, answer_ms, registered_at FROM online_contestant
        WHERE stage_id = %(stage)s AND district_id = d.id AND NOT held AND points > 0
        ORDER BY points DESC, correct DESC, answer_ms ASC, registered_at ASC, id ASC
        LIMIT %(k)s
    ) x
) c
ORDER BY c.district_id, c.n
"""

CHALLENGE_NOW_SQL = """
SELECT c.id, c.district_id, c.n, c.challenge_best, c.challenge_best, c.challenge_best_ms
FROM competition_district d
JOIN competition_division v ON v.id = d.division_id AND v.competition_id = %(competition)s
CROSS JOIN LATERAL (
    SELECT x.id, x.district_id, x.challenge_best, x.challenge_best_ms,
           ROW_NUMBER() OVER (
               ORDER BY x.challenge_best DESC, x.challenge_best_ms ASC, x.registered_at ASC, x.id ASC
           ) AS n
    FROM (
        SELECT id, district_id, challenge_best, challenge_best_ms, registered_at FROM online_contestant
        WHERE stage_id = %(stage)s AND district_id = d.id AND NOT held AND challenge_best > 0
        ORDER BY challenge_best DESC, challenge_best_ms ASC, registered_at ASC, id ASC
        LIMIT %(k)s
    ) x
) c
ORDER BY c.district_id, c.n
"""


POINTS_BOUND_SQL = """
SELECT c.id, c.district_id, c.points, c.correct, c.points - COALESCE(la.points, 0) - COALESCE(ld.points, 0),
       c.correct - COALESCE(la.correct, 0) - COALESCE(ld.correct, 0), c.answer_ms - COALESCE(la.ms, 0),
       c.registered_at
FROM competition_district d
CROSS JOIN LATERAL (
    SELECT id, district_id, points, correct, answer_ms, registered_at FROM online_contestant
    WHERE stage_id = %(stage)s AND district_id = d.id AND NOT held AND points > 0
    ORDER BY points DESC, correct DESC, answer_ms ASC, registered_at ASC, id ASC
    OFFSET %(offset)s LIMIT %(limit)s
) c
LEFT JOIN LATERAL (
    SELECT SUM(a.points) AS points, SUM(a.correct) AS correct, SUM(a.answer_ms) AS ms FROM online_attempt a
    WHERE a.contestant_id = c.id AND a.finished_at > %(cutoff)s
) la ON TRUE
LEFT JOIN LATERAL (
    SELECT SUM(s.points) AS points, SUM(s.correct) AS correct FROM online_duelseat s
    JOIN online_duel du ON du.id = s.duel_id
    WHERE s.contestant_id = c.id AND du.finished_at > %(cutoff)s
) ld ON TRUE
WHERE d.id = ANY(%(districts)s)
"""
BOUND_FIRST = 40  # contestants read per district in the first round, times K; doubled each round


def _points_by_bound(
    stage: OnlineStage, per_district: int, cutoff: datetime
) -> list[tuple[int, int, int, int, int, int]]:
    """The top ``per_district`` of each district by season points at ``cutoff``, reading each district's
    contestants in the order of their running points (the board's index) and subtracting what each
    earned after the cut-off, only as deep as needed: points never go down, so a contestant's points at
    the cut-off are at most their running points, and a district is settled once its K-th best at the
    cut-off has more points (or as many and more right answers) than the running figures of everyone not
    yet read. The rows the SQL versions return."""
    districts = list(
        District.objects.filter(division__competition_id=stage.competition_id).values_list("pk", flat=True)
    )
    found: dict[int, list[tuple]] = {d: [] for d in districts}
    offset, limit = 0, BOUND_FIRST * per_district
    while districts:
        params = {
            "stage": stage.pk,
            "cutoff": cutoff,
            "offset": offset,
            "limit": limit,
            "districts": districts,
        }
        with connection.cursor() as cursor:
            cursor.execute(POINTS_BOUND_SQL, params)
            rows = cursor.fetchall()
        read: dict[int, list[tuple]] = {d: [] for d in districts}
        for row in rows:
            read[row[1]].append(row)
        unsettled = []
        for district in districts:
            batch = read[district]
            found[district].extend(
                (cid, did, points, correct, ms, registered)
                for cid, did, _points_now, _correct_now, points, correct, ms, registered in batch
                if points > 0
            )
            found[district].sort(key=lambda r: (-r[2], -r[3], r[4], r[5], r[0]))
            best = found[district]
            exhausted = len(batch) < limit
            # Everyone not yet read has at most the last read row's running points and right answers.
            bound = (batch[-1][2], batch[-1][3]) if batch else (0, 0)
            if not exhausted and not (
                len(best) >= per_district and (best[per_district - 1][2], best[per_district - 1][3]) > bound
            ):
                unsettled.append(district)
        districts = unsettled
        offset, limit = offset + limit, limit * 2
    return [
        (cid, did, n, points, correct, ms)
        for did in sorted(found)
        for n, (cid, did, points, correct, ms, _registered) in enumerate(found[did][:per_district], 1)
    ]


def _mostly_before(stage: OnlineStage, cutoff: datetime) -> bool:
    """Whether no more attempts finished after ``cutoff`` than between the stage's opening and it (on
    the ``finished_at`` index, reading at most twice the later ones): then subtracting what came later
    (``_points_by_bound``) reads less than summing what came before."""
    opened = timezone.make_aware(datetime.combine(stage.opens_on, datetime.min.time()))
    later = Attempt.objects.filter(finished_at__gt=cutoff).count()
    earlier = Attempt.objects.filter(finished_at__gte=opened, finished_at__lte=cutoff)[:later].count()
    return later <= earlier


def _settled(stage: OnlineStage, cutoff: datetime) -> bool:
    """Whether nothing of the stage finished after ``cutoff`` and no challenge is still running, so the
    running figures on the contestants are the figures at the cut-off."""
    later_attempt = Attempt.objects.filter(finished_at__gt=cutoff, contestant__stage=stage).exists()
    later_duel = Duel.objects.filter(finished_at__gt=cutoff, stage=stage).exists()
    running = Attempt.objects.filter(
        finished_at__isnull=True, contestant__stage=stage, mode=Mode.CHALLENGE
    ).exists()
    return not (later_attempt or later_duel or running)


def qualifiers_compute(
    *, stage: OnlineStage, rule: str, per_district: int, cutoff: datetime
) -> list[dict[str, Any]]:
    """The top ``per_district`` of each district by the rule, with their figures (one query)."""
    settled = connection.vendor == "postgresql" and _settled(stage, cutoff)  # LATERAL: PostgreSQL
    if rule == QualificationRun.Rule.POINTS:
        sql = POINTS_NOW_SQL if settled else POINTS_SQL
    else:
        sql = CHALLENGE_NOW_SQL if settled else CHALLENGE_SQL
    if sql is POINTS_SQL and connection.vendor == "postgresql" and _mostly_before(stage, cutoff):
        rows = _points_by_bound(stage, per_district, cutoff)
    else:
        params = {"stage": stage.pk, "competition": stage.competition_id, "cutoff": cutoff, "k": per_district}
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    key = "points" if rule == QualificationRun.Rule.POINTS else "challenge_best"
    return [
        {
            "contestant_id": cid,
            "district_id": did,
            "rank": n,
            "figures": {key: value, "correct": correct, "time_ms": ms},
        }
        for cid, did, n, value, correct, ms in rows
    ]


@transaction.atomic
def qualification_run(
    *, stage: OnlineStage, rule: str, per_district: int, members: int, cutoff: datetime, actor=None
) -> QualificationRun:
    """List the qualifiers by the rule and keep the list (a new run each time; earlier runs stay)."""
    if rule not in QualificationRun.Rule.values:
        raise OnlineError("invalid_field", "rule must be points or challenge")
    run = QualificationRun.objects.create(
        stage=stage,
        rule=rule,
        per_district=per_district,
        members=members,
        cutoff=cutoff,
        created_by=actor,
        created_at=timezone.now(),
    )
    Qualifier.objects.bulk_create(
        Qualifier(
            run=run,
            token=secrets.token_urlsafe(16)[:22],
            **{k: row[k] for k in ("contestant_id", "district_id", "rank", "figures")},
        )
        for row in qualifiers_compute(stage=stage, rule=rule, per_district=per_district, cutoff=cutoff)
    )
    return run


def qualifiers_invite(*, run: QualificationRun, base_url: str, now: datetime | None = None) -> int:
    """Invite every listed qualifier (an SMS with their invitation link). The number invited."""
    now = now or timezone.now()
    invited = 0
    for q in run.qualifiers.select_related("contestant").filter(status=Qualifier.Status.LISTED):
        with transaction.atomic():
            if not Qualifier.objects.filter(pk=q.pk, status=Qualifier.Status.LISTED).update(
                status=Qualifier.Status.INVITED, invited_at=now
            ):
                continue
        invited += 1
        link = f"{base_url.rstrip('/')}/online/{run.stage.slug}/invitations/{q.token}/"
        with suppress(SmsError):  # the invitation also shows on the contestant's page
            sms_backend().send(q.contestant.mobile, f"京津冀公民科学素质大赛：恭喜入围区队，请确认 {link}")
    return invited


def invitation_for(*, contestant: Contestant, token: str) -> Qualifier:
    q = Qualifier.objects.select_related("run__stage", "district__division").filter(token=token).first()
    if q is None or q.contestant_id != contestant.pk or q.status == Qualifier.Status.LISTED:
        raise OnlineError("not_invited", "no invitation for you with that link")
    return q


def _team_for(run: QualificationRun, district: District) -> Team:
    competition = run.stage.competition
    team = Team.objects.filter(competition=competition, district=district).order_by("pk").first()
    if team is None:
        team = Team.objects.create(
            competition=competition,
            division=district.division,
            district=district,
            name=f"{district.name}代表队",
        )
    return team


@transaction.atomic
def invitation_answer(
    *, contestant: Contestant, token: str, accept: bool, now: datetime | None = None
) -> Qualifier:
    """Accept (a registration in the district's team) or decline. Answering twice the same way changes
    nothing; a declined invitation cannot be accepted later (``not_invited``)."""
    now = now or timezone.now()
    q = Qualifier.objects.select_for_update().get(pk=invitation_for(contestant=contestant, token=token).pk)
    if q.status == Qualifier.Status.ACCEPTED and accept:
        return q
    if q.status == Qualifier.Status.DECLINED:
        if not accept:
            return q
        raise OnlineError("not_invited", "this invitation was declined")
    if not accept:
        q.status, q.answered_at = Qualifier.Status.DECLINED, now
        q.save(update_fields=["status", "answered_at"])
        return q
    run = q.run
    team = _team_for(run, q.district)
    registration = Registration.objects.create(
        competition=run.stage.competition,
        team=team,
        name=contestant.name,
        code=registration_code_generate(run.stage.competition, q.district.division),
    )
    q.status, q.answered_at, q.team, q.registration = Qualifier.Status.ACCEPTED, now, team, registration
    q.save(update_fields=["status", "answered_at", "team", "registration"])
    _roles(run, team)
    return q


def _roles(run: QualificationRun, team: Team) -> None:
    """Accepted qualifiers of the team by rank: the first ``members`` play, the rest substitute; the
    best-ranked member captains."""
    accepted = list(
        Qualifier.objects.filter(run=run, team=team, status=Qualifier.Status.ACCEPTED)
        .select_related("registration")
        .order_by("rank")
    )
    for n, q in enumerate(accepted):
        role = Registration.Role.MEMBER if n < run.members else Registration.Role.SUBSTITUTE
        if q.registration and q.registration.role != role:
            Registration.objects.filter(pk=q.registration_id).update(role=role)
    if accepted and accepted[0].registration_id and team.captain_id != accepted[0].registration_id:
        Team.objects.filter(pk=team.pk).update(captain_id=accepted[0].registration_id)
