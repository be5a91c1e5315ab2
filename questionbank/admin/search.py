"""The question list's search (``question_search``): the admin searches ``Question.search_text`` (stem and
choices in one column, kept by the services).

* PostgreSQL: every word must occur as a substring (``ILIKE '%word%'``), backed by a pg_trgm GIN index
  (migration 0003). Chinese has no spaces between words and the ``simple`` text search configuration
  does not segment it, so full-text search alone would only find whole runs of Chinese text; trigram
  substring search finds any fragment of three or more characters through the index (shorter fragments
  still work, by a scan). OR-ed with it is a ``websearch_to_tsquery('simple', ...)`` full-text match on
  the same column, backed by a GIN expression index, so Latin-script queries also get the web-search
  syntax ("quoted phrases", ``or``, ``-word``).
* SQLite (the embedded default): every word as a case-insensitive substring (``LIKE``), no index.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import Q, QuerySet

_LATIN = re.compile(r"[A-Za-z]")


def question_search(queryset: QuerySet, search_term: str, *, vendor: str | None = None) -> QuerySet:
    """Questions whose stem or choices contain every word of ``search_term`` (see the module docstring)."""
    words = search_term.split()
    if not words:
        return queryset
    vendor = vendor or connection.vendor
    every_word = Q()
    for word in words:
        every_word &= Q(search_text__icontains=word)
    found = every_word | Q(key=search_term.strip())
    if vendor == "postgresql" and _LATIN.search(search_term):
        # Imported here: it needs a PostgreSQL driver, which the embedded (SQLite) setup does not install.
        from django.contrib.postgres.search import SearchQuery, SearchVector, SearchVectorExact

        # to_tsvector('simple', COALESCE(search_text, '')) @@ websearch_to_tsquery('simple', ...): the
        # expression of the GIN index made by migration 0003 (django.contrib.postgres need not be installed).
        vector = SearchVector("search_text", config="simple")
        query = SearchQuery(search_term, config="simple", search_type="websearch")
        found |= Q(SearchVectorExact(vector, query))
    return queryset.filter(found)
