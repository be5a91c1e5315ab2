"""The script page's form: a final's segments, their order and rule values, as the host edits them.

One fieldset per segment (its position, kind, title, a remove box and a field per rule of its kind) and
one empty row to add a segment. A form only converts what the browser sent into the script's JSON
(``Script.to_data``); the rules' own checks (``quiz.engine.finals.script``) judge the values, and their
message is shown on the segment it concerns. Changing a segment's kind shows the new kind's rules with
their defaults on the next page (the old kind's values are not carried over).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, fields
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from quiz.engine.finals.common import FinalsError
from quiz.engine.finals.script import (
    PAIR_RULES,
    RULE_CHOICES,
    RULES,
    TITLES,
    Kind,
    Script,
    rules_from_data,
    script_from_data,
)

MAX_SEGMENTS = 30

KIND_LABELS = {
    Kind.COMPULSORY: _("必答 · compulsory questions"),
    Kind.BUZZER: _("抢答 · buzzer"),
    Kind.WAGER: _("风险 · wager"),
    Kind.JUDGED: _("科普讲解 · judged presentation"),
    Kind.COMEBACK: _("力挽狂澜 · comeback"),
    Kind.SUDDEN_DEATH: _("加赛 · sudden death"),
}

RULE_LABELS = {
    "mode": _("Who answers"),
    "answer_seconds": _("Answer time (s)"),
    "right": _("Right"),
    "wrong": _("Wrong"),
    "incomplete": _("Incomplete"),
    "rounds": _("Questions per team"),
    "right_by_kind": _("Right, by question type"),
    "questions": _("Questions in the segment"),
    "open_seconds": _("Buzzer open (s)"),
    "early": _("Early buzz penalty"),
    "early_points": _("Early buzz points"),
    "lockout_ms": _("Lockout (ms)"),
    "pass_on": _("Pass on after a wrong answer"),
    "max_attempts": _("Answers per question"),
    "window_ms": _("Buzz window (ms)"),
    "window_max_ms": _("Longest buzz window (ms)"),
    "tiers": _("Tiers"),
    "order": _("Picking order"),
    "exclusive": _("Exclusive tiers"),
    "low": _("Lowest score"),
    "high": _("Highest score"),
    "drop_high_low": _("Drop the highest and lowest"),
    "weight": _("Weight"),
    "recuse_by": _("Recuse judges by"),
    "speak_seconds": _("Presentation time (s)"),
    "cut": _("Who plays"),
    "last_n": _("The last N teams"),
    "below": _("Below (points)"),
    "play": _("Played as"),
    "max_questions": _("Questions at most"),
}

CHOICE_LABELS = {
    "team": _("the team"),
    "member": _("each member in rotation"),
    "chosen": _("an answerer the team chooses"),
    "points": _("points"),
    "lockout": _("a lockout"),
    "out": _("out of the question"),
    "high_to_low": _("score high to low"),
    "low_to_high": _("score low to high"),
    "last_n": _("the last N teams"),
    "below": _("the teams below a score"),
    "buzzer": _("buzzer questions"),
    "compulsory": _("compulsory questions"),
}

LIST_HELP = {
    "tiers": _("Whole numbers separated by commas, e.g. 10, 20, 30."),
    "recuse_by": _("district, unit, or both separated by a comma."),
    "right_by_kind": _(
        "type=points separated by commas, e.g. truefalse=10, single=20, judged=30; "
        "types: single, multiple, truefalse, judged, short, numerical."
    ),
}


def _prefix(index: int) -> str:
    return f"s{index}"


def _to_text(name: str, value: Any) -> str:
    if name in PAIR_RULES:
        return ", ".join(f"{k}={v}" for k, v in value)
    return ", ".join(str(v) for v in value)


def _parse_list(name: str, text: str) -> Any:
    """A list rule's text as its JSON value; ValidationError naming the rule when it does not parse."""
    items = [part.strip() for part in text.split(",") if part.strip()]
    if name in PAIR_RULES:
        pairs = {}
        for item in items:
            kind, sep, number = item.partition("=")
            try:
                if not sep:
                    raise ValueError
                pairs[kind.strip()] = int(number.strip())
            except ValueError:
                raise forms.ValidationError(
                    gettext("Write type=points, e.g. single=20 (not %(item)s).") % {"item": item},
                    code="invalid_pairs",
                ) from None
        return pairs
    if name == "tiers":
        try:
            return [int(item) for item in items]
        except ValueError:
            raise forms.ValidationError(
                gettext("Tiers are whole numbers separated by commas."), code="invalid_list"
            ) from None
    return items


def _with_label(message: str) -> str:
    """The rules' message (it starts with the rule's name), after the rule's label on the page."""
    name = message.split(" ", 1)[0].split(".", 1)[0]
    label = RULE_LABELS.get(name)
    return f"{label} ({name}): {message}" if label else message


def _rule_field(name: str, default: Any, initial: Any) -> forms.Field:
    label = RULE_LABELS.get(name, name)
    if isinstance(default, bool):
        return forms.BooleanField(label=label, required=False, initial=initial)
    if isinstance(default, int):
        return forms.IntegerField(label=label, initial=initial, min_value=-100_000, max_value=100_000)
    if isinstance(default, tuple):
        return forms.CharField(
            label=label,
            required=name in ("tiers",),
            initial=_to_text(name, initial),
            help_text=LIST_HELP.get(name, ""),
            max_length=300,
        )
    return forms.ChoiceField(
        label=label,
        choices=[(c, CHOICE_LABELS.get(c, c)) for c in RULE_CHOICES[name]],
        initial=initial,
    )


@dataclass
class SegmentRow:
    """One fieldset of the page: the segment's meta fields and its rule fields (bound fields)."""

    index: int
    kind: str  # "" for the empty row that adds a segment
    meta: list[Any] = field(default_factory=list)
    rules: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class ScriptForm(forms.Form):
    """The script of a final as a form; ``script_data()`` is its JSON once ``is_valid()``."""

    rule_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    count = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_SEGMENTS + 1)
    base_score = forms.IntegerField(label=_("Base score"), min_value=0, max_value=10_000)

    def __init__(self, *args, script: Script, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.script = script
        self.segment_errors: dict[int, list[str]] = {}
        self._data_copied = False
        self.fields["rule_version"].initial = script.rule_version
        self.fields["base_score"].initial = script.base_score
        existing = list(script.segments)
        count = len(existing) + 1 if len(existing) < MAX_SEGMENTS else len(existing)
        if self.is_bound:
            with contextlib.suppress(TypeError, ValueError):
                count = max(1, min(int(self.data.get("count", count)), MAX_SEGMENTS + 1))
        self.fields["count"].initial = count
        self.count = count
        self.shown: dict[int, str] = {}
        for i in range(count):
            segment = existing[i] if i < len(existing) else None
            kind = segment.kind.value if segment is not None else ""
            if self.is_bound:
                kind = str(self.data.get(f"{_prefix(i)}-kind", kind) or "")
            self._add_segment_fields(i, segment, kind)

    def _add_segment_fields(self, i: int, segment: Any, kind: str) -> None:
        p = _prefix(i)
        blank = [("", gettext("(no segment)"))] if segment is None else []
        self.fields[f"{p}-kind"] = forms.ChoiceField(
            label=_("Segment kind"),
            choices=blank + [(k.value, KIND_LABELS[k]) for k in Kind],
            required=segment is not None,
            initial=kind,
        )
        self.fields[f"{p}-title"] = forms.CharField(
            label=_("Title on the big screen"),
            required=False,
            max_length=40,
            initial=segment.title if segment is not None else "",
        )
        self.fields[f"{p}-position"] = forms.IntegerField(
            label=_("Position"), initial=i + 1, min_value=1, max_value=MAX_SEGMENTS + 1
        )
        self.fields[f"{p}-remove"] = forms.BooleanField(label=_("Remove"), required=False)
        # the kind whose rule fields the page showed: a changed kind starts from its defaults
        self.fields[f"{p}-shown"] = forms.CharField(widget=forms.HiddenInput, required=False, initial=kind)
        if not kind:
            return
        try:
            rule_kind = Kind(kind)
        except ValueError:
            return  # the kind field reports it
        shown = str(self.data.get(f"{p}-shown", "")) if self.is_bound else kind
        self.shown[i] = shown
        current = segment.rules if segment is not None and segment.kind is rule_kind else RULES[rule_kind]()
        defaults = RULES[rule_kind]()
        for f in fields(defaults):
            self.fields[f"{p}-r-{f.name}"] = _rule_field(
                f.name, getattr(defaults, f.name), getattr(current, f.name)
            )
        if self.is_bound and shown != kind:
            self._show_defaults(p, defaults, kind)

    def _show_defaults(self, p: str, defaults: Any, kind: str) -> None:
        """A segment whose kind changed: its fields show the new kind's defaults if the page comes back."""
        if not self._data_copied:
            self.data = self.data.copy()  # a request's QueryDict is immutable
            self._data_copied = True
        for f in fields(defaults):
            name, value = f"{p}-r-{f.name}", getattr(defaults, f.name)
            if isinstance(value, bool):
                if value:
                    self.data[name] = "on"
                else:
                    self.data.pop(name, None)
            else:
                self.data[name] = _to_text(f.name, value) if isinstance(value, tuple) else str(value)
        self.data[f"{p}-shown"] = kind

    def _rules_of(self, i: int, kind: Kind) -> dict[str, Any]:
        """The rules the page sent for segment ``i`` (none if the page showed another kind's rules)."""
        if self.shown.get(i) != kind.value:
            return {}
        p = _prefix(i)
        rules: dict[str, Any] = {}
        defaults = RULES[kind]()
        for f in fields(defaults):
            name = f"{p}-r-{f.name}"
            value = self.cleaned_data.get(name)
            if isinstance(getattr(defaults, f.name), tuple):
                try:
                    value = _parse_list(f.name, value or "")
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
                    continue
            rules[f.name] = value
        return rules

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        rows = []
        for i in range(cleaned["count"]):
            p = _prefix(i)
            kind_value = cleaned.get(f"{p}-kind")
            if not kind_value or cleaned.get(f"{p}-remove"):
                continue
            kind = Kind(kind_value)
            title = (cleaned.get(f"{p}-title") or "").strip() or TITLES[kind]
            rules = self._rules_of(i, kind)
            try:
                rules_from_data(kind, rules)
            except FinalsError as exc:
                self.segment_errors.setdefault(i, []).append(_with_label(exc.message))
            rows.append((cleaned[f"{p}-position"], i, {"kind": kind.value, "title": title, "rules": rules}))
        if self.errors or self.segment_errors:
            raise forms.ValidationError(gettext("Some segments need fixing: see below."))
        if not rows:
            raise forms.ValidationError(gettext("A script needs at least one segment."))
        data = {
            "base_score": cleaned["base_score"],
            "segments": [segment for _, _, segment in sorted(rows, key=lambda r: (r[0], r[1]))],
        }
        try:
            script_from_data(data)
        except FinalsError as exc:
            raise forms.ValidationError(exc.message) from None
        cleaned["script"] = data
        return cleaned

    def script_data(self) -> dict[str, Any]:
        return self.cleaned_data["script"]

    def rows(self) -> list[SegmentRow]:
        """The fieldsets in page order (the empty row last)."""
        out = []
        for i in range(self.count):
            p = _prefix(i)
            if f"{p}-kind" not in self.fields:
                continue
            row = SegmentRow(index=i, kind=str(self[f"{p}-kind"].value() or ""))
            row.meta = [self[f"{p}-{name}"] for name in ("position", "kind", "title", "remove")]
            row.rules = [self[name] for name in self.fields if name.startswith(f"{p}-r-")]
            row.errors = self.segment_errors.get(i, [])
            out.append(row)
        return out
