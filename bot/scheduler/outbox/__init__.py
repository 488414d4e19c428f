"""The outbox: every outgoing message is a `Reminder` row, sent once, paced, and recorded.

Planning code calls `enqueue` (an ``INSERT … ON CONFLICT(dedup_key) DO NOTHING``, so a key
gives one row however many ticks or processes plan it) and then `Outbox.wake`. One `Outbox`
per process drains due rows (`drain`, or `run_forever` in production).

Package layout: `split` (long texts), `rows` (`enqueue`, `cancel`), `lease` (which process
sends), `store` (the database side of sending), `sender` (`Outbox`: the loop and the pacing).

Exactly once, and what happens on a crash
    Only the holder of the ``lease`` row named ``"outbox"`` sends (`lease`: Telegram's flood
    limit is per bot, so several replicas on one database have one paced sender and the others
    stand by); a second process's `drain` returns at once while the lease is held. The holder
    renews it from a heartbeat every third of its time to live (6 s) and releases it when
    `run_forever` stops; when the holder dies, a stand-by takes over once the lease has run
    out. Each row is *claimed* by a conditional UPDATE (pending → sending, only while this
    process's lease is live; committed), sent, and the result is committed in its own
    transaction straight after the HTTP answer. No transaction is ever open across an HTTP
    call. The same holds on SQLite and PostgreSQL (`db.dialect`).

    A row found in ``sending`` when a drain starts was left by a crash (kill -9, power loss) or
    by a holder whose lease ran out: nobody else is sending it now. **Policy: resend it**,
    marked ``late``, with ``attempts + 1`` (so a row that keeps crashing the process ends up
    ``failed``). A possible duplicate is better than a lost reminder. This is the documented
    at-least-once window: only rows claimed at the moment of the crash (at most
    ``max_in_flight``, and of those only the ones Telegram had already answered before the
    result was committed: a few milliseconds each) can go out twice. The same holds for a
    connection dropped *after* Telegram accepted the message: the Bot API has no idempotency
    key, so that send is retried (at least once).

One message per moment
    `bot.scheduler.moments` keeps each part of a message that carries several things as a row
    of its own in state ``merged`` (so its key stays planned once) beside the one pending row
    that is sent. The sender never reads a ``merged`` row (it claims ``pending`` ones only), so
    a part is never sent on its own, not even after a crash; when the carrying row ends
    ``failed`` or ``unreachable``, its parts (the ``merged`` rows planned with it in the same
    tick for the same chat) take that state too (`store`), so nothing reads as delivered that
    was not.

Pacing
    A single global spacing of ``1 / rate_per_s`` between send starts (no bursts), a 429 pauses
    *all* sending for ``retry_after`` seconds, and at least ``per_chat_interval_s`` between
    two sends to one chat (rows for that chat wait; other chats go on). Up to ``max_in_flight``
    requests run at once (one per chat), so the rate is kept even when Telegram answers slowly.
    All waiting goes through the injected ``sleep``/``monotonic``.

    ``rate_per_s`` defaults to `DEFAULT_RATE_PER_S` = 28. The issue asks both for "at most 25
    messages/s" and for ≥ 27 msg/s against Telegram's 30/s ceiling. The 25 was headroom
    against bursts; with strict spacing (no bursts) 28/s keeps 7% headroom, meets the
    throughput target, and produced no 429 against the rate-limited fake server
    (`bench/bench_fanout.py` prints both 25 and 28). Pass ``rate_per_s=25`` to be more careful.

Errors (each outcome is stored on the row, counted in `DrainStats` and logged with ids and the
error text only — never the message text, which may name a child)
    * `TelegramRetryAfter` (429): global pause, then the same row again; not an attempt.
    * `TelegramServerError` (5xx), `TelegramNetworkError`, other transient API errors:
      ``attempts + 1``, back to pending after `BACKOFF` (5 s, 30 s, 2 min, 10 min, 30 min…);
      after ``max_attempts`` the row is ``failed`` and admins are told (once per person and day;
      only if the catalogue has the ``delivery_failed_admin`` text, else it is logged as error).
    * `TelegramForbiddenError` (blocked, never started, deactivated): the row and the chat's
      other pending rows become ``unreachable``; the account gets ``unreachable_since`` (and
      ``state = blocked`` for "bot was blocked by the user"); every joined admin is told once
      per person and episode by an outbox row keyed
      ``unreachable:{person_id}:{unreachable_since}|admin:{admin_person_id}``.
    * `TelegramBadRequest`, `TelegramEntityTooLarge`: ``failed`` with ``last_error``.

Long texts
    `split_message` cuts an HTML text longer than Telegram's 4096 characters (measured after
    entity parsing, in UTF-16 code units like Telegram's offsets) at a paragraph, line or word
    boundary, closing the formatting tags that span the cut and re-opening them in the next
    part. `enqueue` stores the parts as separate rows at once: part 1 under ``dedup_key``
    itself, part *i* under ``"{dedup_key}#{i}/{n}"``, the reply markup on the last part only.
    Each part is thus sent and recorded on its own, so a crash between parts never resends
    earlier ones. Parts go in order: rows of one chat are sent in (next_attempt_at, id) order
    one at a time, and when a part is put back for a retry the later parts are held with it.
"""

from bot.scheduler.outbox.lease import DEFAULT_LEASE_TTL_S, LEASE_NAME, SenderLease
from bot.scheduler.outbox.rows import cancel, enqueue, part_key
from bot.scheduler.outbox.sender import (
    BACKOFF,
    DEFAULT_RATE_PER_S,
    DrainStats,
    Outbox,
    default_holder,
)
from bot.scheduler.outbox.split import TELEGRAM_TEXT_LIMIT, split_message, telegram_length
from bot.scheduler.outbox.store import KIND_FAILED_ADMIN, KIND_UNREACHABLE_ADMIN

__all__ = [
    "BACKOFF",
    "DEFAULT_LEASE_TTL_S",
    "DEFAULT_RATE_PER_S",
    "KIND_FAILED_ADMIN",
    "KIND_UNREACHABLE_ADMIN",
    "LEASE_NAME",
    "TELEGRAM_TEXT_LIMIT",
    "DrainStats",
    "Outbox",
    "SenderLease",
    "cancel",
    "default_holder",
    "enqueue",
    "part_key",
    "split_message",
    "telegram_length",
]
