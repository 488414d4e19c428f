"""Flood control (HTTP 429) and injected infrastructure faults (5xx, dropped connections)."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["FaultInjector", "FaultRule", "RateLimits", "TokenBucket"]

Clock = Callable[[], float]

# Methods that "send a message" and therefore count against Telegram's flood limits.
SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendAudio",
        "sendVideo",
        "sendAnimation",
        "sendVoice",
        "sendVideoNote",
        "sendSticker",
        "sendMediaGroup",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendDice",
        "sendInvoice",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    }
)


@dataclass
class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` stored."""

    rate: float
    burst: float
    clock: Clock
    tokens: float = -1.0
    updated: float = 0.0

    def __post_init__(self) -> None:
        self.tokens = self.burst
        self.updated = self.clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait_time(self) -> float:
        """Seconds until one token is available (0 if available now)."""
        self._refill()
        if self.tokens >= 1:
            return 0.0
        return (1 - self.tokens) / self.rate

    def take(self) -> None:
        self._refill()
        self.tokens -= 1


@dataclass
class RateLimits:
    """Telegram's documented flood limits.

    * about one message per second to the same private chat (short bursts are tolerated:
      ``per_chat_burst``),
    * 20 messages per minute to the same group,
    * 30 messages per second overall per bot.

    Disabled by default; ``strict=True`` additionally records every 429 as a violation (for
    tests that say the limits must never be hit).
    """

    enabled: bool = False
    strict: bool = False
    per_chat_rate: float = 1.0
    per_chat_burst: float = 3.0
    group_rate: float = 20 / 60
    group_burst: float = 20.0
    global_rate: float = 30.0
    global_burst: float = 30.0
    methods: frozenset[str] = SENDING_METHODS
    clock: Clock = time.monotonic
    _buckets: dict[tuple[str, int | None], TokenBucket] = field(default_factory=dict)

    def configure(
        self,
        *,
        enabled: bool = True,
        strict: bool | None = None,
        clock: Clock | None = None,
        per_chat_rate: float | None = None,
        per_chat_burst: float | None = None,
        group_rate: float | None = None,
        group_burst: float | None = None,
        global_rate: float | None = None,
        global_burst: float | None = None,
        methods: Collection[str] | None = None,
    ) -> RateLimits:
        """Switch limits on/off or tune them; resets all buckets."""
        self.enabled = enabled
        if strict is not None:
            self.strict = strict
        if clock is not None:
            self.clock = clock
        for name, value in {
            "per_chat_rate": per_chat_rate,
            "per_chat_burst": per_chat_burst,
            "group_rate": group_rate,
            "group_burst": group_burst,
            "global_rate": global_rate,
            "global_burst": global_burst,
        }.items():
            if value is not None:
                setattr(self, name, value)
        if methods is not None:
            self.methods = frozenset(methods)
        self._buckets.clear()
        return self

    def _bucket(self, token: str, chat_id: int | None, is_group: bool) -> TokenBucket:
        key = (token, chat_id)
        bucket = self._buckets.get(key)
        if bucket is None:
            if chat_id is None:
                bucket = TokenBucket(self.global_rate, self.global_burst, self.clock)
            elif is_group:
                bucket = TokenBucket(self.group_rate, self.group_burst, self.clock)
            else:
                bucket = TokenBucket(self.per_chat_rate, self.per_chat_burst, self.clock)
            self._buckets[key] = bucket
        return bucket

    def check(self, token: str, method: str, chat_id: int, is_group: bool) -> int | None:
        """Consume a token; return ``retry_after`` seconds if the call must be refused."""
        if not self.enabled or method not in self.methods:
            return None
        buckets = [self._bucket(token, None, False), self._bucket(token, chat_id, is_group)]
        wait = max(bucket.wait_time() for bucket in buckets)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.take()
        return None


FaultKind = Literal["status", "drop"]


@dataclass
class FaultRule:
    kind: FaultKind
    methods: frozenset[str] | None
    remaining: int | None = None
    probability: float | None = None
    status: int = 502
    description: str = "Bad Gateway"
    after: bool = False
    hits: int = 0
    when: Callable[[Mapping[str, Any]], bool] | None = None  # on the call's parameters

    def matches(self, method: str, params: Mapping[str, Any] | None = None) -> bool:
        if self.when is not None and not self.when(params or {}):
            return False
        if self.methods is None:
            # By default faults leave polling alone: aiogram backs off >= 1 s after an error.
            return method != "getUpdates"
        return method in self.methods


@dataclass
class Fault:
    kind: FaultKind
    status: int
    description: str
    after: bool


class FaultInjector:
    """Injected infrastructure failures, consulted before each request is processed.

    ``methods=None`` targets every method except ``getUpdates``; pass
    ``methods={"getUpdates"}`` explicitly to disturb polling.
    """

    def __init__(self, seed: int = 0) -> None:
        self.rules: list[FaultRule] = []
        self.rng = random.Random(seed)

    def seed(self, seed: int) -> None:
        self.rng.seed(seed)

    def clear(self) -> None:
        self.rules.clear()

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 502,
        description: str = "Bad Gateway",
        methods: Collection[str] | None = None,
        when: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> FaultRule:
        """Answer the next ``n`` matching calls with an HTTP ``status`` error; `when`: only
        calls whose parameters it accepts (say, the message to one chat, or with one text)."""
        return self._add(
            FaultRule("status", _set(methods), n, None, status, description, when=when)
        )

    def fail_randomly(
        self,
        probability: float,
        *,
        status: int = 502,
        description: str = "Bad Gateway",
        methods: Collection[str] | None = None,
        seed: int | None = None,
    ) -> FaultRule:
        """Fail each matching call with ``probability`` (seeded RNG, reproducible)."""
        if seed is not None:
            self.rng.seed(seed)
        return self._add(
            FaultRule("status", _set(methods), None, probability, status, description)
        )

    def drop_next(
        self,
        n: int = 1,
        *,
        methods: Collection[str] | None = None,
        after: bool = False,
    ) -> FaultRule:
        """Close the connection without a response for the next ``n`` matching calls.

        With ``after=True`` the call is executed first (the message *is* sent) and only the
        response is lost — the classic "did it go through?" case.
        """
        return self._add(FaultRule("drop", _set(methods), n, None, after=after))

    def drop_randomly(
        self,
        probability: float,
        *,
        methods: Collection[str] | None = None,
        after: bool = False,
        seed: int | None = None,
    ) -> FaultRule:
        if seed is not None:
            self.rng.seed(seed)
        return self._add(FaultRule("drop", _set(methods), None, probability, after=after))

    def _add(self, rule: FaultRule) -> FaultRule:
        self.rules.append(rule)
        return rule

    def pick(self, method: str, params: Mapping[str, Any] | None = None) -> Fault | None:
        for rule in list(self.rules):
            if not rule.matches(method, params):
                continue
            if rule.remaining is not None:
                if rule.remaining <= 0:
                    continue
                rule.remaining -= 1
            elif rule.probability is not None and self.rng.random() >= rule.probability:
                continue
            rule.hits += 1
            return Fault(rule.kind, rule.status, rule.description, rule.after)
        return None


def _set(methods: Collection[str] | None) -> frozenset[str] | None:
    return None if methods is None else frozenset(methods)
