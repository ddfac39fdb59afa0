"""Stable ids for demo data that more than one service refers to (a demo PF created by members is the host of
demo events), so each service's demo seed can name it without asking the other."""
import uuid

DEMO = "https://tsunagu.example.jp/demo"


def demo_platform_id(area_code: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{DEMO}/platform/{area_code}"))
