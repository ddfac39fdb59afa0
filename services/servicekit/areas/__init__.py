"""Administrative areas: codes, hierarchy and the platform's single scope rule.

Why this exists: PFs, organisations and referrals hang off areas (国・都道府県・
振興局・市区町村・広域圏), and every service must agree on what an area code
means and which scope covers it.  Import from here:

    from services.servicekit.areas import default_registry, scope_contains
"""

from .check_digit import check_digit, is_valid_municipality_code
from .registry import (
    Area,
    AreaDataError,
    AreaRegistry,
    UnknownArea,
    default_registry,
    load_registry,
)
from .scope import scope_contains

__all__ = [
    "Area",
    "AreaDataError",
    "AreaRegistry",
    "UnknownArea",
    "check_digit",
    "default_registry",
    "is_valid_municipality_code",
    "load_registry",
    "scope_contains",
]
