"""The question bank's admin pages in the reader's language: import outcomes and summaries, and the item
statistics' flags. The import and statistics modules keep their English texts for the command line and
logs; these filters give the admin the same facts in words it translates."""

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

register = template.Library()

OUTCOMES = {
    "new": gettext_lazy("new"),
    "update": gettext_lazy("update"),
    "unchanged": gettext_lazy("unchanged"),
    "duplicate": gettext_lazy("near-duplicate"),
    "skipped": gettext_lazy("skipped"),
    "invalid": gettext_lazy("invalid"),
}

FORMATS = {
    "xlsx": gettext_lazy("our XLSX template"),
    "csv": gettext_lazy("our CSV template"),
    "kahoot": gettext_lazy("Kahoot! spreadsheet template (XLSX)"),
    "moodle": "Moodle XML",
    "gift": "Moodle GIFT",
    "json": gettext_lazy("JSON (lossless)"),
}

FLAGS = {
    "few_answers": gettext_lazy("too few answers to judge the item"),
    "too_hard": gettext_lazy("too hard"),
    "too_easy": gettext_lazy("too easy"),
    "negative_discrimination": gettext_lazy("weaker contestants do better: is the key right?"),
    "weak_discrimination": gettext_lazy("weak discrimination: revise"),
    "nonfunctional_distractor": gettext_lazy("a distractor hardly anyone chooses"),
    "check_key": gettext_lazy("the strongest contestants prefer another choice: check the key"),
}


@register.filter
def outcome_label(outcome: str) -> str:
    """An import row's outcome (``questionbank.imports.Outcome``) as the reader says it."""
    return str(OUTCOMES.get(outcome, outcome))


@register.filter
def row_message(row) -> str:
    """What the preview says about one import row, in the reader's language where it is the importer's own
    words (a parser's reasons for an invalid row and a skipped row's reason are shown as given)."""
    if row.outcome == "duplicate":
        text = _("near-duplicate of %(key)s (similarity %(similarity).2f)") % {
            "key": row.duplicate_of,
            "similarity": row.similarity,
        }
        if row.difference:
            return text + _("; the stem differs: %(difference)s") % {"difference": row.difference}
        return text + _("; the same stem")
    if row.outcome == "update":
        return _("changes %(fields)s") % {"fields": ", ".join(row.changes)}
    return row.message


@register.simple_tag
def import_summary(preview) -> str:
    """The preview's first line: file, format, rows and how many of each outcome."""
    parts = ", ".join(f"{outcome_label(name)} {n}" for name, n in preview.counts.items() if n)
    return _("%(file)s (%(format)s): %(rows)d rows: %(parts)s") % {
        "file": preview.filename,
        "format": str(FORMATS.get(preview.format, preview.format)),
        "rows": len(preview.rows),
        "parts": parts or _("none"),
    }


@register.filter
def flag_label(flag) -> str:
    """An item statistics flag (``questionbank.engine.stats.Flag``) in the reader's words."""
    return str(FLAGS.get(flag.code, flag.message))
