"""The HTTP gateway: authenticates people (JWT) and partner systems (API keys), enforces who may call what,
and calls the services over nameko RPC. Flask under gunicorn with threads; never eventlet."""
