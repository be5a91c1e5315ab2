"""The project's URLs plus ``/bench/insert/``: one INSERT of an answer row, no session, form or checks."""

import uuid

from django.db import connection
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as project_urls

_attempt: list[tuple[int, int]] = []


@csrf_exempt
def bare_insert(request):
    if not _attempt:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, (question_ids->>0)::bigint FROM online_attempt ORDER BY id LIMIT 1")
            _attempt.append(cursor.fetchone())
    attempt_id, question_id = _attempt[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO online_answer (attempt_id, position, question_id, choices, correct, received_at, "
            "elapsed_ms, submission) "
            "VALUES (%s, 1000 + (random() * 30000)::int, %s, '[0]', true, %s, 1000, %s) "
            "ON CONFLICT DO NOTHING",
            [attempt_id, question_id, timezone.now(), uuid.uuid4()],
        )
    return HttpResponse("ok")


urlpatterns = [path("bench/insert/", bare_insert), *project_urls]
