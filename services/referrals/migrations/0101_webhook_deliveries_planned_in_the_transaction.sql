-- Webhook deliveries are planned in the transaction that writes the referral event to the outbox (a trigger, so
-- no code path can forget it, bulk loads and multi-row outbox INSERTs included). The referrals service owns the
-- referral and the webhook tables in one database: routing each event through the broker to a handler that wrote
-- back into this database cost a quorum-queue write, ~1.5 ms of dispatcher CPU and a statement per referral event,
-- and bought nothing. Planning no longer depends on the broker: a redelivered or duplicated publish plans nothing.
--
-- One delivery per active endpoint of each organisation the event concerns (payload.interested_organization_ids)
-- whose event-type filter takes the type, with the id-only body the dispatcher POSTs (naming the delivery's own
-- id). An event that concerns no endpoint costs one index lookup (webhook_endpoints_by_org) and writes nothing.

CREATE FUNCTION webhook_plan_deliveries(o outbox) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- A CTE with a volatile function is not inlined: each endpoint's new id is drawn once, for the row and its body.
    WITH planned AS (
        SELECT gen_random_uuid() AS id, e.id AS endpoint_id, e.organization_id
        FROM webhook_endpoints e
        WHERE e.active
          AND e.organization_id = ANY (ARRAY(SELECT jsonb_array_elements_text(
                                                 o.envelope -> 'payload' -> 'interested_organization_ids')::uuid))
          AND (e.event_types IS NULL OR o.event_type = ANY (e.event_types)))
    INSERT INTO webhook_deliveries (id, endpoint_id, organization_id, event_id, event_type, referral_id, occurred_at,
                                    body, next_attempt_at)
    SELECT p.id, p.endpoint_id, p.organization_id, o.event_id, o.event_type,
           (o.envelope -> 'payload' ->> 'referral_id')::uuid, (o.envelope ->> 'occurred_at')::timestamptz,
           -- No referral fields, no personal data: ids, the type and when it happened.
           json_build_object('id', p.id, 'type', o.event_type, 'event_id', o.event_id,
                             'referral_id', o.envelope -> 'payload' ->> 'referral_id',
                             'occurred_at', o.envelope ->> 'occurred_at')::text,
           now()
    FROM planned p
    ON CONFLICT (event_id, endpoint_id) DO NOTHING;
END $$;

CREATE FUNCTION outbox_plan_webhook_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM webhook_plan_deliveries(NEW);
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_plan_webhook_deliveries AFTER INSERT ON outbox
    FOR EACH ROW WHEN (starts_with(NEW.event_type, 'referral.')) EXECUTE FUNCTION outbox_plan_webhook_deliveries();

-- Events in flight when this is applied: the retired handler (referral_webhooks.on_referral_event) marked every
-- event it planned deliveries for, and provisioning deletes its queue (broker_topology.RETIRED_QUEUES) with what
-- was still waiting there. Plan every retained referral event it did not mark (a delivery it did plan is not
-- repeated: unique per event and endpoint). An event it found nobody to notify for left no mark either; it is
-- planned now only if an interested endpoint exists now (id-only body: the partner reads with its own rights).
SELECT webhook_plan_deliveries(o) FROM outbox o
WHERE starts_with(o.event_type, 'referral.')
  AND NOT EXISTS (SELECT FROM processed_messages m
                  WHERE m.consumer = 'referral_webhooks.on_referral_event' AND m.event_id = o.event_id);
