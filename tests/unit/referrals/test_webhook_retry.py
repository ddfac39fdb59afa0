"""The retry schedule: exponential, capped, jittered only upwards, and at least 24 hours before giving up."""
import random

import pytest

from services.referrals.webhook_retry import ONE_DAY, RetrySchedule
from services.referrals.webhook_settings import WebhookSettings


def test_the_default_schedule_retries_for_at_least_24_hours_and_not_much_longer():
    schedule = RetrySchedule.from_settings(WebhookSettings())
    assert schedule.minimum_total_seconds() >= ONE_DAY
    assert schedule.maximum_total_seconds() <= 1.5 * ONE_DAY


def test_even_the_shortest_random_draws_reach_24_hours():
    schedule = RetrySchedule.from_settings(WebhookSettings())
    rng = random.Random(7)
    for _ in range(200):
        total, attempts = 0.0, 1
        while (delay := schedule.delay_after(attempts, rng)) is not None:
            total += delay
            attempts += 1
        assert attempts == schedule.max_attempts
        assert ONE_DAY <= total <= schedule.maximum_total_seconds()


def test_delays_double_up_to_the_cap():
    schedule = RetrySchedule(base_seconds=30, max_multiplier=360, max_attempts=17, jitter=0.2)
    nominal = [schedule.nominal_delay(n) for n in range(1, 17)]
    assert nominal[:4] == [30, 60, 120, 240]
    assert max(nominal) == 3 * 3600 and nominal[-1] == 3 * 3600
    assert nominal == sorted(nominal)


def test_jitter_only_lengthens_within_its_bound():
    schedule = RetrySchedule(base_seconds=10, max_multiplier=100, max_attempts=10, jitter=0.2)
    rng = random.Random(1)
    draws = [schedule.delay_after(3, rng) for _ in range(500)]
    assert min(draws) >= 40 and max(draws) <= 48
    assert len({round(d, 6) for d in draws}) > 400  # actually random, so partners are not hit in lockstep


def test_it_gives_up_after_the_configured_attempts():
    schedule = RetrySchedule(base_seconds=0.2, max_multiplier=360, max_attempts=4, jitter=0.0)
    assert [schedule.delay_after(n) for n in range(1, 6)] == [0.2, 0.4, 0.8, None, None]
    with pytest.raises(ValueError):
        schedule.nominal_delay(0)


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEBHOOK_RETRY_BASE_SECONDS", "0.2")
    monkeypatch.setenv("WEBHOOK_RETRY_MAX_ATTEMPTS", "4")
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE_TARGETS", "loopback")
    settings = WebhookSettings.from_environment()
    assert settings.retry_base_seconds == 0.2 and settings.retry_max_attempts == 4 and settings.allow_loopback
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE_TARGETS", "everything")
    with pytest.raises(ValueError):
        WebhookSettings.from_environment()
    monkeypatch.delenv("WEBHOOKS_ALLOW_PRIVATE_TARGETS")
    assert not WebhookSettings.from_environment().allow_loopback  # production default: public targets only
