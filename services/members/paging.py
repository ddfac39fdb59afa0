"""HSDS 3.0 `Page`: total_items, total_pages, page_number, size, first_page, last_page, empty, contents."""
from __future__ import annotations

import math


def page(contents: list, total_items: int, page_number: int, per_page: int) -> dict:
    total_pages = max(1, math.ceil(total_items / per_page)) if total_items else 0
    return {
        "total_items": total_items,
        "total_pages": total_pages,
        "page_number": page_number,
        "size": len(contents),
        "first_page": page_number == 1,
        "last_page": page_number >= total_pages,
        "empty": not contents,
        "contents": contents,
    }
