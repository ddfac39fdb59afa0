"""The single scope rule of the platform: does scope A cover area B?

Why this exists: prefecture staff see every bureau and municipal PF in their
prefecture, bureau staff see the municipalities under their bureau, municipal
staff see only their own municipality, and cross-area groups (西胆振,
麒麟のまち圏域) see their members (domain.md §1.7).  Every service filters every
object it returns with this rule, so it must live in exactly one place, be
cheap, and never raise.

Rules
  * ``JP`` contains everything.
  * A prefecture contains itself, its bureaus, the bureaus' municipalities and
    its other municipalities.
  * A bureau contains itself and its municipalities.
  * A municipality contains only itself (and, if designated-city wards were
    imported with ``--include-wards``, its wards).
  * A cross-area group contains itself and its member municipalities.
  * When ``area_code`` is a cross-area group, any other scope contains it only
    if it contains every member (so 北海道 contains 西胆振, but 鳥取県 does not
    contain 麒麟のまち圏域, two of whose towns are in 兵庫県).
  * Unknown codes (either side) -> False.

All of this is precomputed by :class:`AreaRegistry` into one frozenset per area
("the scopes that contain it"), so a call is a dict lookup plus a set lookup.
"""

from __future__ import annotations

from .registry import AreaRegistry, default_registry

__all__ = ["scope_contains"]


def scope_contains(scope_code: str, area_code: str, registry: AreaRegistry | None = None) -> bool:
    """True if the scope ``scope_code`` covers the area ``area_code``; never raises."""
    try:
        reg = registry if registry is not None else default_registry()
        containers = reg._container_set(area_code)
        return containers is not None and scope_code in containers
    except Exception:  # unhashable codes, broken data: a scope check must fail closed, not crash
        return False
