"""Stage finals: a script of segments (必答, 抢答, 风险, 科普讲解, 力挽狂澜, 加赛) as pure rules.

Plain Python, no Django: every function takes ``now`` (or the times it needs) as an argument. The
modules, in reading order:

- ``common``: the error type with its stable codes, points as ``Decimal``, marks.
- ``script``: a match format as data (ordered segments with their rules and defaults), pinned once started.
- ``scores``: the append-only score-event log, base score, undo with a reason, arbitration hold.
- ``buzzer``: clock offset and round-trip estimates per socket, press times mapped to the server clock,
  the collection window and the fair buzz order.
- ``compulsory`` (必答), ``buzz`` (抢答), ``wager`` (风险), ``judged`` (科普讲解), ``comeback`` (力挽狂澜),
  ``sudden_death`` (加赛): one module per segment kind, ``(state, command, now) -> Step``.
- ``ranking``: the final order from the scoreboard and the sudden-death order.

docs/contest-formats.md describes every kind with a worked example.
"""
