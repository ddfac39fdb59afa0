"""Named crash points for the crash-recovery tests: a real process dies at a real point.

`TSUNAGU_FAILPOINTS=relay.after_publish` makes the process exit abruptly (no cleanup, no commit, no ack)
the first time it reaches that point. Unset in production, where `hit` is a dictionary lookup.
"""
import os

_ARMED = frozenset(filter(None, os.environ.get("TSUNAGU_FAILPOINTS", "").split(",")))
CRASH_EXIT_CODE = 86


def hit(name: str) -> None:
    if name in _ARMED:
        os._exit(CRASH_EXIT_CODE)
