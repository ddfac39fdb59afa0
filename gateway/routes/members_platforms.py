"""Platforms (PFs): create, read, update, change phase, the PF tree."""
from flask import Blueprint, g

from services.members.schemas import (PhaseChangeSchema, PlatformCreateSchema, PlatformListSchema,
                                      PlatformQuerySchema, PlatformSchema, PlatformTreeSchema, PlatformUpdateSchema)

from .. import services_client
from ..endpoints import STAFF, endpoint

bp = Blueprint("members_platforms", __name__)
TAGS = ["platforms"]


@endpoint(bp, "/v1/platforms", "POST", summary="Create a PF", audience=STAFF, tags=TAGS, body=PlatformCreateSchema,
          response=PlatformSchema, status=201,
          description="Staff create PFs for their own area (prefecture staff also cross-area PFs inside their "
                      "prefecture). A subcommittee (分科会) is a PF whose parent has the same area.")
def create_platform():
    return services_client.call("members", "create_platform", g.body), 201


@endpoint(bp, "/v1/platforms", summary="PFs in your scope", audience=STAFF, tags=TAGS, query=PlatformQuerySchema,
          response=PlatformListSchema)
def list_platforms():
    return services_client.call("members", "list_platforms", g.query_args)


@endpoint(bp, "/v1/platforms/tree", summary="The PF tree in your scope", audience=STAFF, tags=TAGS,
          response=PlatformTreeSchema)
def platform_tree():
    return services_client.call("members", "platform_tree")


@endpoint(bp, "/v1/platforms/<platform_id>", summary="Read a PF", audience=STAFF, tags=TAGS, response=PlatformSchema)
def get_platform(platform_id):
    return services_client.call("members", "get_platform", platform_id)


@endpoint(bp, "/v1/platforms/<platform_id>", "PATCH", summary="Update a PF", audience=STAFF, tags=TAGS,
          body=PlatformUpdateSchema, response=PlatformSchema)
def update_platform(platform_id):
    return services_client.call("members", "update_platform", platform_id, g.body)


@endpoint(bp, "/v1/platforms/<platform_id>/phase", "POST", summary="Change a PF's formation phase", audience=STAFF,
          tags=TAGS, body=PhaseChangeSchema, response=PlatformSchema,
          description="初期 initial → 準備 preparation → 設立 established → 自走 self_running, dated; moving back "
                      "needs a reason.")
def change_platform_phase(platform_id):
    return services_client.call("members", "change_platform_phase", platform_id, g.body)
