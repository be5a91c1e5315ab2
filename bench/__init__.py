"""Load benchmark: Jingjinji Quiz on daphne or uvicorn beside a raw ``websockets`` baseline.

``python -m bench.run --n 5000 --procs 1 --server daphne`` (or ``make bench``); see docs/performance.md.
Nothing here is imported by the application.
"""
