"""/status: where the plan stands (`compute`: pure figures; `load_status`: from the database)
and its screens (`render`: the main one under 900 characters, a page per section, an item,
reach)."""

from bot.services.status.compute import (
    COMING,
    ItemLine,
    NextSession,
    Reporter,
    SectionStatus,
    Status,
    compute_status,
    load_status,
)
from bot.services.status.render import (
    MAIN_MAX,
    bar,
    item_screen,
    main_screen,
    pack,
    reach_screen,
    render_status,
    section_screen,
)

__all__ = [
    "COMING",
    "MAIN_MAX",
    "ItemLine",
    "NextSession",
    "Reporter",
    "SectionStatus",
    "Status",
    "bar",
    "compute_status",
    "item_screen",
    "load_status",
    "main_screen",
    "pack",
    "reach_screen",
    "render_status",
    "section_screen",
]
