"""Cache each contestant's correct time (total elapsed ms of their correct answers), the round's third
tie-break, so the stage and cumulative boards can break ties by it too.

Rounds played before this are given the value the next standings refresh would write: the answers to
the questions that count (closed, neither voided nor skipped, revealed or the round over) whose choices
are exactly the key, for the contestants not kicked (a kicked contestant's standings are not refreshed).
"""

from collections import defaultdict

from django.db import migrations, models

CHUNK = 1000


def cache_correct_time(apps, schema_editor):
    Round = apps.get_model("quiz", "Round")
    RoundQuestion = apps.get_model("quiz", "RoundQuestion")
    Answer = apps.get_model("quiz", "Answer")
    Contestant = apps.get_model("quiz", "Contestant")
    for round_id, phase in Round.objects.filter(contestants__isnull=False).distinct().values_list("id", "phase"):
        counted = RoundQuestion.objects.filter(
            round_id=round_id, closed_at__isnull=False, voided=False, skipped=False
        )
        if phase != "finished":
            counted = counted.filter(revealed_at__isnull=False)
        keys = {qid: frozenset(correct) for qid, correct in counted.values_list("id", "correct")}
        if not keys:
            continue
        totals: dict[int, int] = defaultdict(int)
        answers = Answer.objects.filter(
            round_id=round_id, question_id__in=keys, contestant__kicked_at__isnull=True
        ).values_list("contestant_id", "question_id", "choices", "elapsed_ms")
        for contestant_id, question_id, choices, elapsed_ms in answers.iterator(chunk_size=CHUNK):
            if frozenset(choices) == keys[question_id]:
                totals[contestant_id] += elapsed_ms
        contestants = [Contestant(id=cid, correct_time_ms=ms) for cid, ms in totals.items()]
        Contestant.objects.bulk_update(contestants, ["correct_time_ms"], batch_size=CHUNK)


class Migration(migrations.Migration):
    dependencies = [
        ("quiz", "0004_contestant_join_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="contestant",
            name="correct_time_ms",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(cache_correct_time, migrations.RunPython.noop),
    ]
