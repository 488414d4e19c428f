"""`python -m bot run` leaves what start-up built out of the garbage collector's passes (#16:
a full pass over Kenes' heap took ~0.3 s, paid by the updates waiting meanwhile)."""

from __future__ import annotations

import gc

from bot.lifecycle import settle_heap


async def test_settle_heap_freezes_what_start_up_built() -> None:
    try:
        await settle_heap()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # the test process builds many bots: leave its collector as it was
