"""CPU time and resident memory of other processes, read from /proc (Linux only, no psutil needed).

CPU comes from the per-thread scheduler statistics (nanoseconds, summed over the process's live
threads) when the kernel exposes them, else from utime+stime in /proc/<pid>/stat (clock ticks, 10 ms).
"""

from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds_stat(pid: int) -> float:
    """utime + stime of the whole process (threads that exited included), in seconds."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # fields 14 and 15 of stat(5)


def cpu_seconds_sched(pid: int) -> float | None:
    """Run time of the process's live threads from schedstat, in seconds; None if not available."""
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                total += int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[0])
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                continue
    except FileNotFoundError:
        return None
    return total / 1e9 if total else None


def cpu_seconds(pid: int) -> float:
    sched = cpu_seconds_sched(pid)
    return sched if sched is not None else cpu_seconds_stat(pid)


def cpu_seconds_many(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


def rss_kib(pid: int) -> int:
    """VmRSS from /proc/<pid>/status, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def rss_kib_many(pids: list[int]) -> int:
    return sum(rss_kib(pid) for pid in pids)


def machine() -> dict[str, object]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "model_name": model,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": os.uname().release,
    }


def raise_nofile() -> tuple[int, int]:
    """Raise the soft limit on open files to the hard limit (5,000 sockets need it); returns (soft, hard)."""
    import contextlib
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def machine_busy_seconds() -> float:
    """CPU time all cores spent busy since boot (user, nice, system, irq, softirq, steal), in seconds."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _TICK


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])
