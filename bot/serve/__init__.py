"""Serving the bot: how updates arrive (polling or webhook) and for how many schools.

* `checks` — the settings RUN_MODE, WEBHOOK_*, SCHOOLS_FILE, DATABASE_SCHEMA, checked like the
  others (`bot.config_check`);
* `schools` — SCHOOLS_FILE: many schools in one process, each checked like a single school;
* `school` — one running school: its bot, database engine, dispatcher (plan, calendar, dialogue
  storage, scheduler, outbox), started and stopped on its own;
* `webhook` — the aiohttp server: each school's webhook (aiogram's `SimpleRequestHandler`, the
  secret checked on every request) and ``/healthz``;
* `health` — the databases' health, and the heartbeat file for polling;
* `host` — the running schools: start, stop, SIGHUP reload, SIGTERM.

Nothing here runs at import time, and nothing here imports aiogram until a server starts.
"""
