"""Summarise a py-spy raw profile (``bench.run --profile``): where the server's CPU went, by activity.

    python -m bench.profile_summary var/bench/profile-0.txt

Samples are on-CPU only (py-spy without --idle). Each stack is charged to the first activity whose
marker appears in it (most specific first; the generic server/event-loop markers are only looked for in
the innermost frames, since every stack of the main thread starts in the server's own run loop), and
separately the innermost frames are grouped by package. With ``--profile native`` the cyclic garbage
collector shows up as its own activity, whatever Python code triggered it.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

# (activity, markers): first match wins, so the more specific ones come first.
ACTIVITIES: list[tuple[str, tuple[str, ...]]] = [
    ("garbage collector (native profiles only)", ("gc_collect_main", "gc_collect_with_callback")),
    ("answers: answers_record (DB thread)", ("answers_record (",)),
    ("reveal: standings_refresh (DB thread)", ("standings_refresh (",)),
    ("host command: round_command (DB thread)", ("round_command (",)),
    ("join: contestant_join (DB thread)", ("contestant_join (",)),
    ("join: contestant_resume / welcome (DB thread)", ("contestant_resume (",)),
    ("publish on commit (async_to_sync in DB thread)", ("_send (quiz/broadcast.py",)),
    ("hub: RoundChannel.deliver (fan-out)", ("RoundChannel.deliver (",)),
    ("hub: layer receive (Redis pub-sub)", ("RoundChannel._listen (", "RedisPubSub", "channels_redis")),
    ("answer batcher (event loop)", ("AnswerBatcher.", "aanswer_submit (")),
    (
        "consumer receive/handle (event loop)",
        ("QuizConsumer.receive (", "ContestantConsumer.handle (", "HostConsumer.handle ("),
    ),
    ("consumer send (event loop)", ("QuizConsumer.send_frame (", "AsyncWebsocketConsumer.send (")),
    (
        "consumer connect/disconnect",
        ("websocket_connect (", "websocket_disconnect (", "Hub.attach (", "Hub.detach ("),
    ),
    ("channels dispatch machinery", ("await_many_dispatch (",)),
    ("daphne timeouts / pings", ("check_timeouts (", "application_checker (")),
]
# Looked for in the innermost INNER frames only.
INNER = 6
GENERIC: list[tuple[str, tuple[str, ...]]] = [
    ("server I/O: daphne/autobahn/twisted", ("autobahn/", "twisted/", "daphne/", "txaio/")),
    ("server I/O: uvicorn/websockets", ("uvicorn/", "websockets/", "httptools")),
    ("asyncio event loop", ("asyncio/", "selectors.py", "uvloop")),
]


def parse(path: Path):
    pattern = re.compile(r"^(.*) (\d+)$")
    for line in path.read_text(errors="replace").splitlines():
        m = pattern.match(line)
        if m:
            yield m.group(1).split(";"), int(m.group(2))


def package_of(frame: str) -> str:
    m = re.search(r"\(([^:()]+?)(?::\d+)?\)$", frame)
    if not m:
        return frame[:40]
    path = m.group(1)
    parts = path.split("/")
    return parts[0] if len(parts) > 1 else path


def summarise(path: Path, top: int = 12) -> str:
    by_thread: Counter[str] = Counter()
    by_activity: Counter[str] = Counter()
    by_package: Counter[str] = Counter()
    total = 0
    for frames, count in parse(path):
        total += count
        thread = frames[0]
        by_thread["event loop (main thread)" if "MainThread" in thread else "other threads (DB worker)"] += (
            count
        )
        stack = ";".join(frames)
        inner = ";".join(frames[-INNER:])
        for name, markers in ACTIVITIES:
            if any(marker in stack for marker in markers):
                by_activity[name] += count
                break
        else:
            for name, markers in GENERIC:
                if any(marker in inner for marker in markers):
                    by_activity[name] += count
                    break
            else:
                by_activity["other"] += count
        by_package[package_of(frames[-1])] += count
    lines = [f"{path}: {total} on-CPU samples"]
    lines.append("  by thread:")
    lines += [f"    {n / total:6.1%}  {name}" for name, n in by_thread.most_common()]
    lines.append("  by activity (first matching marker):")
    lines += [f"    {n / total:6.1%}  {name}" for name, n in by_activity.most_common()]
    lines.append(f"  innermost frame by package (top {top}):")
    lines += [f"    {n / total:6.1%}  {name}" for name, n in by_package.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    for arg in sys.argv[1:]:
        print(summarise(Path(arg)))


if __name__ == "__main__":
    main()
