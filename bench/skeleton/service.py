"""The bare skeleton's nameko service: one RPC that INSERTs the request body. The yardstick for
bench/referrals_post.py (Flask → nameko RPC → INSERT, nothing else)."""
from services.servicekit import bootstrap  # noqa: F401

import json
import os
import uuid

from nameko.extensions import DependencyProvider
from nameko.rpc import rpc

from services.servicekit.pg_pool import open_pool


class Pool(DependencyProvider):
    def setup(self):
        self.pool = open_pool(os.environ["SKELETON_DATABASE_URL"], max_size=10, name="skeleton")

    def stop(self):
        self.pool.close()

    def get_dependency(self, worker_ctx):
        return self.pool


class SkeletonService:
    name = "bench_skeleton"
    pool = Pool()

    @rpc
    def insert(self, body):
        new_id = str(uuid.uuid4())
        with self.pool.connection() as conn:
            conn.execute("INSERT INTO skeleton_referrals (id, body) VALUES (%s, %s)", (new_id, json.dumps(body)))
        return {"id": new_id}
