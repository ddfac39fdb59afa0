"""When to try a failed webhook delivery again: exponential back-off with jitter, for at least 24 hours.

Delay before retry n (n = 1 after the first attempt failed) is base x min(2^(n-1), max_multiplier), stretched
by a random factor in [1, 1 + jitter]. Jitter only lengthens a delay, so `minimum_total_seconds` is a true
lower bound of how long a delivery keeps being retried before it is marked failed.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

ONE_DAY = 24 * 3600


@dataclass(frozen=True)
class RetrySchedule:
    base_seconds: float
    max_multiplier: float
    max_attempts: int
    jitter: float = 0.2

    @classmethod
    def from_settings(cls, settings) -> "RetrySchedule":
        return cls(settings.retry_base_seconds, settings.retry_max_multiplier, settings.retry_max_attempts,
                   settings.retry_jitter)

    def nominal_delay(self, retry_number: int) -> float:
        if retry_number < 1:
            raise ValueError("retry numbers start at 1")
        multiplier = min(2.0 ** min(retry_number - 1, 62), self.max_multiplier)
        return self.base_seconds * multiplier

    def delay_after(self, attempts_made: int, rng: random.Random | None = None) -> float | None:
        """Seconds to wait after `attempts_made` scheduled attempts all failed; None: give up now."""
        if attempts_made >= self.max_attempts:
            return None
        stretch = 1.0 + (rng or random).uniform(0.0, self.jitter)
        return self.nominal_delay(attempts_made) * stretch

    def minimum_total_seconds(self) -> float:
        """The shortest time from first to last attempt (every jitter draw at its minimum)."""
        return sum(self.nominal_delay(n) for n in range(1, self.max_attempts))

    def maximum_total_seconds(self) -> float:
        return self.minimum_total_seconds() * (1.0 + self.jitter)
