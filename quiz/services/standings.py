"""Standings: rescoring a round from its answer log and caching the result on each contestant.

Cached: score, rank, correct answers and correct time (the round's tie-break chain, which the stage and
cumulative boards sum, competition/leaderboards.py). They are a cache: everything here can be
recomputed from the answer log and the round's questions at any time.

Written after the round's change has committed (``quiz.services.rounds``), in two steps so that nothing
is locked while the slow part runs: scoring and ranking read the log outside any transaction, then a
short transaction writes the changed rows. ``Round.standings_version`` records which round version the
cached standings belong to; an older refresh that finishes after a newer one writes nothing.

The round's frames are built and published inside that short transaction, while it holds the round's
standings lock: frames go out in the order the standings were written and carry the ranks stored at
that moment, also when this refresh was overtaken (the newer standings then). A kick can land while
the scores are worked out: the write skips kicked contestants and the board leaves them out.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection, transaction

from quiz import boards, frames, selectors
from quiz.engine.rounds import RoundState
from quiz.engine.scoring import ScoringRule, rank
from quiz.models import Contestant, Round

# pg_advisory_xact_lock(key, round id): one standings writer per round at a time (PostgreSQL).
_ADVISORY_LOCK_KEY = 0x5154  # "QT"

Personal = dict[str, str]


def standings_refresh(
    *,
    round_id: int,
    state: RoundState,
    event_index: int | None,
    publish: Callable[[Personal], None] | None = None,
) -> Personal:
    """Rescore from the answer log as of ``state``, cache the standings and build personal frames.

    Call after the transaction that changed the round has committed. ``publish(personal)`` runs inside
    the write transaction, holding the round's standings lock, so what it reads and publishes on commit
    is the standings as stored then. Returns contestant id -> ``result`` frame text; when a newer
    version's standings were already written, nothing is written but ``publish`` still runs and the
    personal frames are still returned (each says how the contestant did on ``event_index``).
    """
    round_ = Round.objects.only("scoring", "standings_version").get(pk=round_id)
    rule = ScoringRule.from_dict(round_.scoring)
    # Plain rows, not model instances: a sitting has 10,000 contestants.
    cached = {
        cid: (score, rank_, correct, correct_time, nickname, team)
        for cid, score, rank_, correct, correct_time, nickname, team in selectors.active_contestants(round_id)
        .order_by()
        .values_list("id", "score", "rank", "correct_count", "correct_time_ms", "nickname", "team__name")
    }
    scores = selectors.round_scores(round_, cached, state=state)
    changed: list[tuple[int, int, int, int, int]] = []
    every: list[tuple[int, int, int, int, int]] = []
    board: list[boards.Standing] = []
    personal: Personal = {}
    for ranked in rank(scores.values(), rule.tie_breaks):
        s = ranked.score
        score, old_rank, correct, correct_time, nickname, team = cached[s.contestant_id]
        new = (s.points, ranked.rank, s.correct, s.correct_time_ms)
        if (score, old_rank, correct, correct_time) != new:
            changed.append((s.contestant_id, *new))
        every.append((s.contestant_id, *new))
        board.append(boards.Standing(s.contestant_id, nickname, team, s.points, ranked.rank, s.correct))
        if event_index is not None:
            personal[str(s.contestant_id)] = frames.result_frame(
                version=state.version,
                question=event_index,
                outcome=s.outcomes.get(event_index),
                score=s.points,
                rank=ranked.rank,
                streak=s.streak,
                correct_count=s.correct,
                best_streak=max((o.streak for o in s.outcomes.values()), default=0),
                correct_time_ms=s.correct_time_ms,
            )
    with transaction.atomic():
        written = _written_version(round_id)
        if written is None:
            return personal
        if written <= state.version:
            # Another refresh wrote since the rows above were read: what "changed" means is out of date.
            _write_standings(changed if written == round_.standings_version else every)
            # Kicked while the scores were worked out: their rows were skipped, the board leaves them out.
            kicked = set(
                Contestant.objects.filter(round_id=round_id, kicked_at__isnull=False).values_list(
                    "id", flat=True
                )
            )
            boards.live_board().publish_on_commit(
                round_id, state.version, [s for s in board if s.contestant_id not in kicked]
            )
        if publish is not None:
            publish(personal)
        if written <= state.version:
            # Last, so the round's row is locked only from here to the commit.
            Round.objects.filter(pk=round_id).update(standings_version=state.version)
    return personal


def _written_version(round_id: int) -> int | None:
    """The round version whose standings are cached (None: no such round).

    Standings writers of one round queue here (an advisory lock on PostgreSQL; SQLite's IMMEDIATE
    transactions queue every writer already), so this read and the write that follows are one step."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_ADVISORY_LOCK_KEY, round_id])
    return Round.objects.filter(pk=round_id).values_list("standings_version", flat=True).first()


def _write_standings(changed: list[tuple[int, int, int, int, int]]) -> None:
    """Write (id, score, rank, correct count, correct time) for every changed contestant in one statement.

    Contestants kicked meanwhile are skipped: a kick clears the rank and it stays cleared.

    ``bulk_update`` builds a CASE expression per column and took most of a reveal at 5,000 contestants;
    an ``executemany`` of one UPDATE per row took 0.55-0.65 s for 10,000 on PostgreSQL, one UPDATE
    joined to the new values as arrays takes 0.25-0.3 s, most of it the database updating rows and
    their indexes (docs/performance.md). SQLite runs in the process, so its ``executemany`` of prepared
    UPDATEs costs no round trips.
    """
    if not changed:
        return
    table = connection.ops.quote_name(Contestant._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns = [list(column) for column in zip(*changed, strict=True)]
            cursor.execute(
                f"UPDATE {table} AS c SET score = v.score, rank = v.rank, correct_count = v.correct,"
                " correct_time_ms = v.correct_time"
                " FROM unnest(%s::bigint[], %s::integer[], %s::integer[], %s::integer[], %s::integer[])"
                " AS v(id, score, rank, correct, correct_time) WHERE c.id = v.id AND c.kicked_at IS NULL",
                columns,
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET score = %s, rank = %s, correct_count = %s, correct_time_ms = %s"
                " WHERE id = %s AND kicked_at IS NULL",
                [(*values, cid) for cid, *values in changed],
            )
