"""The pure core: what the plan means, the school calendar, what is due when.

No Telegram, no database and no `now()` in here: time is always an argument.
"""
