"""Stage finals live: models, services, frames, protocol and consumers around ``quiz.engine.finals``.

Reading order: ``models`` (the final's state row, teams, judges, questions and the append-only logs),
``services`` (every write, one transaction each, published on commit), ``views`` (frames per audience),
``protocol`` (inbound frames), ``consumers`` (captain, team, host, judge, screen sockets).
"""
