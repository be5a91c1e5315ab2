"""Bracket engine benchmark: generate and play through a 1,024-team single elimination.

Usage: ``python -m bench.brackets [--teams 1024] [--repeat 5] [--no-write]``

Engine time only (``time.perf_counter`` around ``generate`` + every ``record_result`` +
``final_ranking``); the random scores are drawn beforehand. Prints the median of the runs and appends
it to docs/performance.md under "## Brackets".
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from competition.engine import MatchResult, final_ranking, generate, is_finished, record_result

DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
HEADING = "## Brackets"


def one_run(teams: int, seed: int) -> float:
    rng = random.Random(seed)
    names = [f"team-{i:04d}" for i in range(teams)]
    draws = [
        (rng.randrange(200), rng.randrange(60_000), rng.randrange(200), rng.randrange(60_000)) for _ in names
    ]
    start = time.perf_counter()
    bracket = generate("single_elimination", names, {"third_place": True})
    for i, match_id in enumerate(list(bracket.matches)):
        a, b = bracket.matches[match_id].participants
        sa, ta, sb, tb = draws[i]
        bracket = record_result(
            bracket, match_id, MatchResult.of({a: (sa, ta), b: (sb, tb)}, sudden_death=(a, b))
        )
    ranking = final_ranking(bracket)
    elapsed = time.perf_counter() - start
    assert is_finished(bracket) and len(ranking) == teams
    return elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print only; do not append to the doc")
    args = parser.parse_args(argv)
    runs = [one_run(args.teams, seed) for seed in range(args.repeat)]
    median = statistics.median(runs)
    matches = args.teams  # n - 1 matches + the 3rd-place match
    line = (
        f"- {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}: "
        f"{args.teams}-team single elimination with a 3rd-place match ({matches} matches) "
        "generated and played through in "
        f"**{median * 1000:.0f} ms** engine time (median of {args.repeat}; runs "
        f"{', '.join(f'{r * 1000:.0f}' for r in runs)} ms; target < 1,000 ms)."
    )
    print(line)
    if args.no_write:
        return
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    if HEADING not in text.splitlines():
        text = text.rstrip("\n") + (
            f"\n\n{HEADING}\n\n`python -m bench.brackets` generates a 1,024-team single elimination "
            "(competition/engine), records a random result for every match in play order and ranks the "
            "teams; only engine calls are timed. One line per run, newest last.\n\n"
        )
        DOC.write_text(text, encoding="utf-8")
    with DOC.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


if __name__ == "__main__":
    main()
