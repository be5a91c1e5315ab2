"""Every write to a live round goes through these modules; each function is one transaction (or a few, in
a stated order) and events go out only once they have committed. Async twins (``a`` prefix) hop to a
thread once around a whole unit of work.

- ``rounds``: creating a round, host commands, closing at the deadline or once everyone has answered,
  and who may host (access). State changes are engine transitions persisted with a conditional update.
- ``standings``: rescoring from the answer log and caching the standings, after the round's change
  has committed.
- ``contestants``: joining, resuming with a token, kicking; the contestant's welcome snapshot.
- ``answers``: recording a batch of answers in one transaction, answered counts.
- ``snapshots``: what a host or display socket is sent first.
- ``errors``: ``QuizError``, the refusal all of them raise.

Frames are built in ``quiz.frames``; reads are in ``quiz.selectors``.
"""
