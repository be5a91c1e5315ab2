"""The Django side of the benchmark, run in a subprocess with the servers' environment.

``setup``: a competition, a host user with the host role and a logged-in session for them, K questions
from the demo fixture, and a round (open join, no streak bonus) made by ``quiz.services.rounds.round_create``.

``verify``: read back what the round stored and check it against what the load client sent and received.
Scores are recomputed here by a small implementation of the rule that shares no code with
``quiz.engine.scoring`` (Kahoot half curve, full points within a threshold), so a bug there shows up.

Usage: ``python -m bench.django_tasks setup --k 3 --out setup.json``
       ``python -m bench.django_tasks verify --setup setup.json --record record.json --out verify.json``
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


# --- setup ---------------------------------------------------------------------------------------------


def setup(k: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from competition.models import Competition, CompetitionRole
    from questionbank.models import Question
    from questionbank.services import questions_load_json
    from quiz.models import Round
    from quiz.services.rounds import round_create

    competition = Competition.objects.create(
        name="Benchmark 2026", slug=f"bench-{secrets.token_hex(4)}", year=2026
    )
    User = get_user_model()
    host = User.objects.create(username=f"bench-host-{secrets.token_hex(4)}")
    host.set_password(secrets.token_urlsafe(16))
    host.save()
    CompetitionRole.objects.create(competition=competition, user=host, role=CompetitionRole.Role.HOST)

    questions_load_json(ROOT / "questionbank" / "fixtures" / "demo_questions.json")
    # Single-choice questions with at least 20 s on the clock, so every contestant's answer is valid and a
    # slow answer burst shows up as time, not as refusals; fall back to any Chinese question if too few.
    picked = list(
        Question.objects.filter(language="zh-hans", kind="single", time_limit__gte=20).order_by("key")[:k]
    )
    if len(picked) < k:
        extra = (
            Question.objects.filter(language="zh-hans").exclude(pk__in=[q.pk for q in picked]).order_by("key")
        )
        picked += list(extra[: k - len(picked)])
    if len(picked) < k:
        raise SystemExit(f"only {len(picked)} questions available, --k {k} asked")
    round_ = round_create(
        competition=competition,
        title="Benchmark round",
        questions=picked,
        scoring={"streak_bonus": False},
        join_mode=Round.JoinMode.OPEN,
    )

    session = SessionStore()
    session["_auth_user_id"] = str(host.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = host.get_session_auth_hash()
    session.create()

    rows = list(round_.questions.order_by("position"))
    return {
        "round_id": round_.id,
        "pin": round_.pin,
        "competition_id": competition.id,
        "host_user_id": host.id,
        "session_key": session.session_key,
        "scoring": round_.scoring,
        "questions": [
            {
                "index": q.position,
                "kind": q.kind,
                "stem": q.stem,
                "choices": list(q.choices),
                "duration_ms": q.duration_ms,
            }
            for q in rows
        ],
    }


# --- independent scoring -------------------------------------------------------------------------------


def points_for(
    *, correct: bool, elapsed_ms: int, time_allowed_ms: int, points: int, full_within_ms: int
) -> int:
    """Kahoot's half curve as docs/protocol.md defines it: P * (2T - t) / 2T to the nearest point (halves
    up), full points within ``full_within_ms``, 0 if wrong."""
    if not correct:
        return 0
    if elapsed_ms <= full_within_ms:
        return points
    t = min(max(elapsed_ms, 0), time_allowed_ms)
    return (2 * points * (2 * time_allowed_ms - t) + 2 * time_allowed_ms) // (4 * time_allowed_ms)


def verify(setup_data: dict, record: dict) -> dict:
    from quiz.models import Answer, Contestant, Round, RoundQuestion

    round_id = setup_data["round_id"]
    round_ = Round.objects.get(pk=round_id)
    rule = round_.scoring
    problems: list[str] = []
    # The independent implementation covers this rule only; anything else would make the check meaningless.
    supported = (
        rule.get("speed") == "half"
        and not rule.get("streak_bonus")
        and rule.get("wrong_penalty", 0) == 0
        and rule.get("multiple", "all_or_nothing") == "all_or_nothing"
        and rule.get("tie_breaks", ["points", "correct", "correct_time"])
        == ["points", "correct", "correct_time"]
    )
    if not supported:
        problems.append(f"scoring rule not covered by the bench's recomputation: {rule}")
    P = int(rule.get("points", 1000))
    full_within = int(rule.get("full_points_within_ms", 500))

    questions = {q.position: q for q in RoundQuestion.objects.filter(round_id=round_id)}
    stored = {
        (a["contestant_id"], a["question__position"]): a
        for a in Answer.objects.filter(round_id=round_id).values(
            "contestant_id", "question__position", "choices", "elapsed_ms", "time_limit_ms", "received_at"
        )
    }
    contestants_in_db = Contestant.objects.filter(round_id=round_id).count()
    revealed = sorted(int(i) for i in record.get("revealed", []))

    # Every contestant's running totals after each revealed question, to rank them independently:
    # points, then correct answers, then time spent on correct answers (the default tie-break chain).
    totals: dict[int, list[int]] = {
        cid: [0, 0, 0]
        for cid in Contestant.objects.filter(round_id=round_id, kicked_at__isnull=True).values_list(
            "id", flat=True
        )
    }
    ranks_after: dict[int, dict[int, int]] = {}
    points_of: dict[tuple[int, int], int] = {}
    for q_index in revealed:
        q = questions[q_index]
        allowed = max(int((q.deadline - q.opened_at).total_seconds() * 1000), 1)
        for (cid, position), row in stored.items():
            if position != q_index or cid not in totals:
                continue
            correct = sorted(row["choices"]) == sorted(q.correct)
            points = points_for(
                correct=correct,
                elapsed_ms=row["elapsed_ms"],
                time_allowed_ms=allowed,
                points=P * q.weight,
                full_within_ms=full_within,
            )
            points_of[(cid, q_index)] = points
            totals[cid][0] += points
            if correct:
                totals[cid][1] += 1
                totals[cid][2] += row["elapsed_ms"]
        order = sorted(totals.items(), key=lambda item: (-item[1][0], -item[1][1], item[1][2]))
        ranks: dict[int, int] = {}
        previous, rank = None, 0
        for position, (cid, (points, correct_count, time_ms)) in enumerate(order, start=1):
            if (points, correct_count, time_ms) != previous:
                rank, previous = position, (points, correct_count, time_ms)
            ranks[cid] = rank
        ranks_after[q_index] = ranks

    rank_mismatch = points_mismatch = ranks_checked = 0
    elapsed_checked = elapsed_outside = 0
    answers_sent = answers_acked = 0
    acked_not_stored = sent_not_acked = choices_mismatch = 0
    result_missing = score_mismatch = correct_flag_mismatch = scores_checked = 0
    examples: list[str] = []
    sent_keys: set[tuple[int, int]] = set()
    for phone in record["contestants"]:
        cid = phone.get("id")
        if cid is None:
            continue
        score = 0
        for q_index in range(len(questions)):
            key = str(q_index)
            sent = phone["sent"].get(key)
            ack = phone["acked"].get(key)
            row = stored.get((cid, q_index))
            if sent is not None:
                answers_sent += 1
                sent_keys.add((cid, q_index))
                if ack is None:
                    sent_not_acked += 1
                else:
                    answers_acked += 1
                    if row is None:
                        acked_not_stored += 1
                        if len(examples) < 10:
                            examples.append(f"contestant {cid} q{q_index}: acked {ack} but not stored")
                bounds = (phone.get("elapsed_bounds_ms") or {}).get(key)
                if row is not None and bounds is not None:
                    # The stored time must lie within what the load client measured itself (1 ms rounding).
                    elapsed_checked += 1
                    low, high = bounds
                    if not low - 1 <= row["elapsed_ms"] <= high + 1:
                        elapsed_outside += 1
                        if len(examples) < 10:
                            examples.append(
                                f"contestant {cid} q{q_index}: stored elapsed {row['elapsed_ms']} ms,"
                                f" client measured {low}..{high} ms"
                            )
                if row is not None and sorted(row["choices"]) != sorted(sent):
                    choices_mismatch += 1
                    if len(examples) < 10:
                        examples.append(f"contestant {cid} q{q_index}: sent {sent}, stored {row['choices']}")
            if q_index not in revealed:
                continue
            q = questions[q_index]
            correct = row is not None and sorted(row["choices"]) == sorted(q.correct)
            if row is not None:
                allowed = row["time_limit_ms"] or q.duration_ms
                score += points_for(
                    correct=correct,
                    elapsed_ms=row["elapsed_ms"],
                    time_allowed_ms=allowed,
                    points=P * q.weight,
                    full_within_ms=full_within,
                )
            got = phone["results"].get(key)
            if got is None:
                result_missing += 1
                continue
            scores_checked += 1
            if got.get("score") != score:
                score_mismatch += 1
                if len(examples) < 10:
                    examples.append(
                        f"contestant {cid} q{q_index}: result score {got.get('score')}, recomputed {score}"
                    )
            if got.get("correct") != correct:
                correct_flag_mismatch += 1
            ranks_checked += 1
            if got.get("points") != points_of.get((cid, q_index), 0):
                points_mismatch += 1
                if len(examples) < 10:
                    examples.append(
                        f"contestant {cid} q{q_index}: result points {got.get('points')}, "
                        f"recomputed {points_of.get((cid, q_index), 0)}"
                    )
            if got.get("rank") != ranks_after[q_index].get(cid):
                rank_mismatch += 1
                if len(examples) < 10:
                    examples.append(
                        f"contestant {cid} q{q_index}: rank {got.get('rank')},"
                        f" recomputed {ranks_after[q_index].get(cid)}"
                    )
    stored_unknown = sum(1 for key in stored if key not in sent_keys)
    verified = (
        supported
        and scores_checked > 0
        and result_missing == 0
        and score_mismatch == 0
        and correct_flag_mismatch == 0
        and choices_mismatch == 0
        and acked_not_stored == 0
        and stored_unknown == 0
    )
    ranks_verified = ranks_checked > 0 and rank_mismatch == 0 and points_mismatch == 0
    return {
        "contestants_in_db": contestants_in_db,
        "answers_in_db": len(stored),
        "answers_sent": answers_sent,
        "answers_acked": answers_acked,
        "acked_not_stored": acked_not_stored,
        "sent_not_acked": sent_not_acked,
        "answers_lost": acked_not_stored + sent_not_acked,
        "choices_mismatch": choices_mismatch,
        "stored_not_sent_by_client": stored_unknown,
        "scores_checked": scores_checked,
        "score_mismatch": score_mismatch,
        "correct_flag_mismatch": correct_flag_mismatch,
        "result_frames_missing": result_missing,
        "scores_verified": verified,
        "ranks_checked": ranks_checked,
        "rank_mismatch": rank_mismatch,
        "points_mismatch": points_mismatch,
        "ranks_verified": ranks_verified,
        "elapsed_checked": elapsed_checked,
        "elapsed_outside_client_bounds": elapsed_outside,
        "rule": rule,
        "problems": problems,
        "examples": examples,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="task", required=True)
    p_setup = sub.add_parser("setup")
    p_setup.add_argument("--k", type=int, required=True)
    p_setup.add_argument("--out", required=True)
    p_verify = sub.add_parser("verify")
    p_verify.add_argument("--setup", required=True)
    p_verify.add_argument("--record", required=True)
    p_verify.add_argument("--out", required=True)
    args = parser.parse_args()
    _django()
    if args.task == "setup":
        data = setup(args.k)
    else:
        data = verify(json.loads(Path(args.setup).read_text()), json.loads(Path(args.record).read_text()))
    Path(args.out).write_text(json.dumps(data, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
