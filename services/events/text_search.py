"""Search text of an event, folded for Japanese-first matching."""
from services.servicekit.japanese_text import fold


def event_search_text(event: dict, sessions: list[dict]) -> str:
    parts = [event.get("title"), event.get("description"), event.get("contractor")]
    parts += [s.get("venue_name") for s in sessions]
    parts += [s.get("name") for s in event.get("speakers") or []]
    parts += [c.get("name") for c in event.get("co_hosts") or []]
    return " ".join(fold(p) for p in parts if p)
