"""The bare skeleton's Flask app: POST /v1/referrals → nameko RPC → INSERT. No authentication, validation,
idempotency, encryption, history or outbox. Run with the gateway's gunicorn settings for a fair comparison:
  gunicorn -c gateway/gunicorn.conf.py bench.skeleton.app:app
"""
import os

from flask import Flask, jsonify, request

from gateway.rpc_pool import RpcProxyPool

app = Flask("skeleton")
# nameko's own publishing (persistent requests): the skeleton is the bare stack, not the gateway's tuning of it.
pool = RpcProxyPool(os.environ["AMQP_URI"], size=int(os.environ.get("GATEWAY_THREADS", "16")), timeout=30,
                    persistent_requests=True)


@app.post("/v1/referrals")
def create():
    with pool.cluster({}) as cluster:
        result = cluster.bench_skeleton.insert(request.get_json())
    return jsonify(result), 201


@app.get("/readyz")
def ready():
    return "ready"
