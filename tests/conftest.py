"""Test-session setup shared by unit, integration and end-to-end tests.

eventlet must be monkey-patched before anything imports nameko, socket or threading: nameko containers hang
under plain pytest otherwise (engineering.md §1.2). psycopg then needs its select-based wait function.
"""
import eventlet

eventlet.monkey_patch()

import services.servicekit.bootstrap  # noqa: E402,F401

pytest_plugins = ["tests.support.fixtures"]
