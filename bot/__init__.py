"""Kenes: a Telegram bot for a Kazakh school's Council for the prevention of offences."""
