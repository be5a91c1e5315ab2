"""Progress for the import and export commands: tqdm's bar when the ``tools`` extra is installed.

tqdm is not a server dependency, so without it the commands print a plain line per tenth of the work
instead. Both take the same calls: ``update(n)``, ``n``, ``total``, ``close()``, ``with``.
"""

from __future__ import annotations

from typing import IO, Any


class PlainProgress:
    """A line such as ``export: 400/2000 question`` each time another tenth is done, and at the end."""

    STEPS = 10

    def __init__(self, *, total: int | None, desc: str, unit: str, file: IO[str], disable: bool = False):
        self.total = total
        self.n = 0
        self.desc = desc.strip()
        self.unit = unit
        self.file = file
        self.disable = disable
        self._shown_step = 0
        self._closed = False

    def update(self, count: int = 1) -> None:
        self.n += count
        if self.total:
            step = min(self.STEPS, self.n * self.STEPS // self.total)
            if step > self._shown_step:
                self._shown_step = step
                self._show()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if not self.total or self._shown_step < self.STEPS:
                self._show()

    def _show(self) -> None:
        if not self.disable:
            of = f"/{self.total}" if self.total else ""
            self.file.write(f"{self.desc}: {self.n}{of} {self.unit}\n")

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress_bar(*, total: int | None, desc: str, unit: str, file: IO[str], disable: bool = False) -> Any:
    try:
        from tqdm import tqdm  # imported here: only these commands need it
    except ImportError:
        return PlainProgress(total=total, desc=desc, unit=unit, file=file, disable=disable)
    return tqdm(total=total, desc=desc, unit=unit, file=file, disable=disable)
