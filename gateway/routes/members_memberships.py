"""Memberships: invite, apply, approve, reinstate, change class, suspend, withdraw; a PF's members."""
from flask import Blueprint, g

from services.members.schemas import (MembershipActionSchema, MembershipApplySchema, MembershipClassChangeSchema,
                                      MembershipInviteSchema, MembershipPageSchema, MembershipQuerySchema,
                                      MembershipSchema)

from .. import services_client
from ..endpoints import STAFF, endpoint

bp = Blueprint("members_memberships", __name__)
TAGS = ["memberships"]


@endpoint(bp, "/v1/platforms/<platform_id>/invitations", "POST", summary="Invite an organisation to a PF",
          audience=STAFF, tags=TAGS, body=MembershipInviteSchema, response=MembershipSchema, status=201)
def invite_member(platform_id):
    return services_client.call("members", "invite_member", platform_id, g.body), 201


@endpoint(bp, "/v1/platforms/<platform_id>/applications", "POST", summary="Apply to join a PF", audience=STAFF,
          tags=TAGS, body=MembershipApplySchema, response=MembershipSchema, status=201,
          description="Organisation staff apply for their own organisation (or accept an invitation).")
def apply_for_membership(platform_id):
    return services_client.call("members", "apply_for_membership", platform_id, g.body), 201


@endpoint(bp, "/v1/platforms/<platform_id>/memberships", summary="A PF's members", audience=STAFF, tags=TAGS,
          query=MembershipQuerySchema, response=MembershipPageSchema)
def list_platform_members(platform_id):
    return services_client.call("members", "list_platform_members", platform_id, g.query_args)


@endpoint(bp, "/v1/memberships/<membership_id>", summary="Read a membership with its history", audience=STAFF,
          tags=TAGS, response=MembershipSchema)
def get_membership(membership_id):
    return services_client.call("members", "get_membership", membership_id)


# endpoint() names the Flask endpoint after the function, so each action gets its own function.
def approve_membership(membership_id):
    return services_client.call("members", "change_membership", membership_id, "approve", g.body)


def reinstate_membership(membership_id):
    return services_client.call("members", "change_membership", membership_id, "reinstate", g.body)


def suspend_membership(membership_id):
    return services_client.call("members", "change_membership", membership_id, "suspend", g.body)


def withdraw_membership(membership_id):
    return services_client.call("members", "change_membership", membership_id, "withdraw", g.body)


def change_membership_class(membership_id):
    return services_client.call("members", "change_membership", membership_id, "change_class", g.body)


for _fn, _path, _summary, _schema in (
        (approve_membership, "approve", "Approve an application (applied → active)", MembershipActionSchema),
        (reinstate_membership, "reinstate", "Lift a suspension (suspended → active)", MembershipActionSchema),
        (suspend_membership, "suspend", "Suspend a membership (needs a reason)", MembershipActionSchema),
        (withdraw_membership, "withdraw", "Withdraw (the PF or the organisation itself)", MembershipActionSchema),
        (change_membership_class, "class", "Change the membership class", MembershipClassChangeSchema)):
    endpoint(bp, f"/v1/memberships/<membership_id>/{_path}", "POST", summary=_summary, audience=STAFF, tags=TAGS,
             body=_schema, response=MembershipSchema)(_fn)
