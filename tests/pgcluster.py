"""Moved to `tests/support/pgcluster.py`; this module re-exports it for existing imports
(and `python -m tests.pgcluster start|stop DIR` still works)."""

import sys

from tests.support.pgcluster import available, create_database, main, start, stop

__all__ = ["available", "create_database", "start", "stop"]

if __name__ == "__main__":
    main(sys.argv[1:])
