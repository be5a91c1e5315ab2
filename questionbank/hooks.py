"""What the question bank reads about live rounds, asked of a provider the rounds app registers.

The question bank is the lowest layer: it imports no other app of the project. Two of its jobs still need
facts that live with the rounds:

- a draw leaves out questions already placed in a round of the same competition stage
  (``planned_question_ids``), read once per draw;
- item statistics are computed from the answers given in rounds (``item_responses``), and their admin
  page offers competitions, stages and regions to choose from (``competitions``, ``stages``, ``regions``).

The rounds app implements ``RoundsProvider`` and calls ``register`` once at start-up (its AppConfig's
``ready``). With nothing registered every question has the answer "none" (no planned questions, no
responses, no competitions), which is what a bank used on its own should see. A provider that raises is
not papered over: the call raises ``HookError`` naming the hook and the provider, chained to the cause,
so a draw never silently ignores its exclusions and statistics are never silently empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class HookError(RuntimeError):
    """A registered provider failed; ``hook`` names the call that failed."""

    def __init__(self, hook: str, provider: object, cause: BaseException) -> None:
        self.hook = hook
        super().__init__(f"the rounds provider {type(provider).__qualname__} failed in {hook}: {cause!r}")


@dataclass(frozen=True, slots=True)
class CompetitionRef:
    """A competition as the bank's admin pages show it."""

    id: int
    name: str
    slug: str

    def __str__(self) -> str:
        return self.name

    @property
    def pk(self) -> int:
        # Read like a model instance by templates and by the draws (``getattr(competition, "pk", ...)``).
        return self.id


@dataclass(frozen=True, slots=True)
class ResponseScope:
    """Which round questions' answers to read; every given field narrows the scope."""

    question_ids: tuple[int, ...] | None = None  # bank questions
    round_id: int | None = None
    competition_id: int | None = None
    stage: str | None = None


@dataclass(frozen=True, slots=True)
class ItemResponses:
    """The answers in a scope, as three row lists (what the item statistics need, nothing more).

    ``questions``: ``(round_question_id, round_id, position, source_id, source_key, stem, choices, correct)``
    in play order (rounds by creation, then position); ``source_id`` and ``source_key`` are None when the
    bank question was deleted. ``answers``: ``(contestant_id, round_question_id, choices, elapsed_ms)``, with
    the typed text as a fifth item where there is one. ``typed_keys``: round question id -> the key of a typed
    question, ``{"kind", "accepted", "value", "tolerance", "unit"}`` (choice questions are not in it).
    ``contestants``: ``(contestant_id, round_id, score, region)`` for everyone who answered; ``region`` is
    None when the contestant has no team division.
    """

    questions: Sequence[tuple] = field(default_factory=tuple)
    answers: Sequence[tuple] = field(default_factory=tuple)
    contestants: Sequence[tuple] = field(default_factory=tuple)
    typed_keys: dict[int, dict[str, Any]] = field(default_factory=dict)


class RoundsProvider(Protocol):
    def planned_question_ids(self, competition_id: int, stage: str) -> Iterable[int]:
        """Bank questions placed in rounds of this competition stage."""
        ...

    def item_responses(self, scope: ResponseScope) -> ItemResponses: ...

    def competitions(self) -> Sequence[CompetitionRef]: ...

    def stages(self, competition_id: int) -> Sequence[str]: ...

    def regions(self, competition_id: int) -> Sequence[str]: ...


_provider: RoundsProvider | None = None


def register(provider: RoundsProvider | None) -> RoundsProvider | None:
    """Make ``provider`` the one the bank asks (None: none); returns the one it replaces."""
    global _provider
    previous, _provider = _provider, provider
    return previous


@contextmanager
def registered(provider: RoundsProvider | None) -> Iterator[None]:
    """``provider`` for the duration of a block (tests), then the one before it again."""
    previous = register(provider)
    try:
        yield
    finally:
        register(previous)


def _ask(hook: str, empty: T, *args: Any) -> T:
    provider = _provider
    if provider is None:
        return empty
    try:
        return getattr(provider, hook)(*args)
    except Exception as exc:
        raise HookError(hook, provider, exc) from exc


def planned_question_ids(competition_id: int, stage: str) -> frozenset[int]:
    """Bank questions placed in rounds of the competition stage (empty with no provider)."""
    return frozenset(_ask("planned_question_ids", (), competition_id, stage))


def item_responses(scope: ResponseScope) -> ItemResponses:
    return _ask("item_responses", ItemResponses(), scope)


def competitions() -> list[CompetitionRef]:
    return list(_ask("competitions", ()))


def competition(competition_id: int) -> CompetitionRef | None:
    return next((c for c in competitions() if c.id == competition_id), None)


def stages(competition_id: int) -> list[str]:
    return list(_ask("stages", (), competition_id))


def regions(competition_id: int) -> list[str]:
    return list(_ask("regions", (), competition_id))
