"""The running schools of one process: start, reload on SIGHUP, stop on SIGTERM.

`python -m bot run` comes here (`serve`) when ``RUN_MODE=webhook`` or ``SCHOOLS_FILE`` is set;
one school by polling keeps the plain path of `bot.main`. A `Host` runs one `School` per
school (the single school of ``.env`` is named ``""``), and in webhook mode the one
`WebhookServer` they share. Each school is started and stopped on its own:

* **Start**: the webhook server first (``/healthz`` says "starting" meanwhile), then the
  schools, a few at a time (`START_AT_ONCE`: each asks Telegram and migrates its database). A
  school Telegram refuses (its token, its webhook address) stops the start: every line is
  printed, exit status 1, as for one school.
* **SIGHUP** (``kill -HUP``, ``docker compose kill -s HUP bot``): SCHOOLS_FILE and ``.env`` are
  read and checked again. Schools no longer listed stop; new ones start; a school whose
  settings, plan or calendar changed restarts; the others are not touched. A school whose new
  settings have problems keeps running as it was (its lines are logged); the server's own
  settings (RUN_MODE, WEBHOOK_*) take a restart of the process.
* **SIGTERM / SIGINT**: every school stops at once (no new update; those in progress finish;
  the webhook deleted; scheduler and outbox stopped), then the server.

A heartbeat file is written all along (`bot.serve.health`).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config_check import Checked, Problem, check_settings, print_problems
from bot.serve.checks import run_mode
from bot.serve.health import Heartbeat, Report, heartbeat_path, report
from bot.serve.school import Options, School, webhook_refused

__all__ = ["START_AT_ONCE", "Host", "serve"]

log = logging.getLogger(__name__)

START_AT_ONCE = 4
POOL_PER_SCHOOL = 2  # database connections kept open per school when there are many


class Host:
    """The schools of this process (see the module notes)."""

    def __init__(
        self,
        checked: Checked,
        *,
        env_file: str | Path | None = ".env",
        options: Options | None = None,
        receive_updates: bool = True,
        check: Callable[[], Checked] | None = None,
    ) -> None:
        settings = checked.settings
        self.settings = settings
        self.env_file = env_file
        self.many = settings.schools_file is not None
        self.mode = run_mode(settings) if receive_updates else "send"
        self.options = options or Options(
            pool_size=POOL_PER_SCHOOL if self.many else None,
            spread_ticks=self.many,
            replicas=settings.webhook_replicas,
        )
        self.options.replicas = settings.webhook_replicas
        if not receive_updates:
            self.options.extra.setdefault("nightly_backup", False)  # `run` makes the backups
        self.check = check or (lambda: check_settings(self.env_file))
        self.first = checked
        self.schools: dict[str, School] = {}
        self.server: Any = None
        self.starting = True
        self._lock = asyncio.Lock()  # one start, reload or stop at a time

    def wanted(self, checked: Checked) -> dict[str, Checked]:
        return dict(checked.schools) if self.many else {"": checked}

    # --- start --------------------------------------------------------------------------------

    async def start(self) -> list[Problem]:
        """The server and every school; the problems that stopped a school from starting."""
        async with self._lock:
            if self.mode == "webhook":
                from bot.serve.webhook import WebhookServer

                self.server = WebhookServer(
                    self.settings.webhook_host,
                    self.settings.webhook_port,
                    self.settings.webhook_path,
                    self.health,
                )
                await self.server.start()
            problems = await self._start_many(self.wanted(self.first))
            self.starting = False
            _settle()
        count = len(self.schools)
        log.info("serving %d school(s) by %s", count, self.mode)
        return problems

    async def _start_many(self, specs: dict[str, Checked]) -> list[Problem]:
        gate = asyncio.Semaphore(START_AT_ONCE)

        async def one(name: str, checked: Checked) -> Problem | None:
            async with gate:
                return await self._start_school(name, checked)

        found = await asyncio.gather(*(one(n, c) for n, c in specs.items()))
        return [p for p in found if p is not None]

    async def _start_school(self, name: str, checked: Checked) -> Problem | None:
        from aiogram.exceptions import TelegramBadRequest

        from bot.logs import describe

        school = School(name, checked, self.options)
        self.schools[name] = school
        problem = await school.open()
        if problem is not None:
            del self.schools[name]
            return problem
        try:
            if self.mode == "webhook":
                await school.start_webhook(
                    self.server, self.webhook_url(name), self.webhook_secret(name)
                )
            elif self.mode == "polling":
                await school.start_polling()
            else:
                await school.start_sending()
        except TelegramBadRequest as exc:  # setWebhook refused the address
            await school.stop()
            del self.schools[name]
            return webhook_refused(school.settings, name, describe(exc).split(": ", 1)[-1])
        except BaseException:
            await school.stop()
            self.schools.pop(name, None)
            raise
        return None

    def webhook_url(self, name: str) -> str:
        assert self.settings.webhook_url is not None and self.server is not None
        return self.settings.webhook_url.rstrip("/") + self.server.path_of(name)

    def webhook_secret(self, name: str) -> str:
        from bot.serve.webhook import school_secret

        assert self.settings.webhook_secret is not None
        return school_secret(self.settings.webhook_secret.get_secret_value(), name)

    # --- reload -------------------------------------------------------------------------------

    async def reload(self) -> dict[str, list[str]]:
        """Read the schools again and start, stop or restart what changed (module notes).
        Returns the names by what happened to them."""
        async with self._lock:
            if not self.many:
                log.info("reload: no SCHOOLS_FILE, nothing to reload (restart to apply .env)")
                return {}
            checked = await asyncio.to_thread(self.check)
            for problem in checked.problems:
                log.warning("reload: %s", problem.line())
            if any(not p.school for p in checked.problems):
                log.warning("reload: the schools file has problems: nothing changed")
                return {}
            listed = self.wanted(checked)
            troubled = {p.school for p in checked.problems}
            good = {name: c for name, c in listed.items() if name not in troubled}
            removed = [n for n in self.schools if n not in listed]
            changed = [
                n for n in self.schools if n in good and not self.schools[n].same_as(good[n])
            ]
            added = [n for n in good if n not in self.schools]
            kept = [n for n in self.schools if n not in removed and n not in changed]
            await asyncio.gather(*(self._stop_school(n) for n in (*removed, *changed)))
            problems = await self._start_many({n: good[n] for n in (*changed, *added)})
            for problem in problems:
                log.warning("reload: %s", problem.line())
            _settle()
            failed = {p.school for p in problems}
            outcome = {
                "added": [n for n in added if n not in failed],
                "removed": removed,
                "restarted": [n for n in changed if n not in failed],
                "unchanged": kept,
                "failed": sorted(failed),
            }
            log.info(
                "reload: %s",
                ", ".join(f"{len(names)} {what}" for what, names in outcome.items()),
            )
            return outcome

    async def _stop_school(self, name: str) -> None:
        school = self.schools.pop(name)
        await school.stop()

    # --- stop ---------------------------------------------------------------------------------

    async def stop(self) -> None:
        async with self._lock:
            names = list(self.schools)
            await asyncio.gather(*(self._stop_school(n) for n in names))
            if self.server is not None:
                await self.server.stop()
                self.server = None

    # --- health -------------------------------------------------------------------------------

    async def health(self) -> Report:
        schools = list(self.schools.values())
        states = await asyncio.gather(*(s.health() for s in schools))
        return report(
            {s.name: state for s, state in zip(schools, states, strict=True)},
            starting=self.starting,
        )


def _settle() -> None:
    """After schools started: what they built (routers, plans, calendars, engines: most of a
    big process's objects) is left out of the garbage collector's full passes, which would
    otherwise walk all of it every so often and hold every school's updates meanwhile
    (hundreds of milliseconds with 100 schools: bench/bench_schools.py)."""
    gc.collect()
    gc.freeze()


async def serve(checked: Checked, *, receive_updates: bool = True) -> int:
    """`python -m bot run` (or `send`) for a webhook or many schools: until SIGTERM/SIGINT."""
    host = Host(checked, receive_updates=receive_updates)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    reloads: set[asyncio.Task[Any]] = set()

    def on_hup() -> None:
        task = loop.create_task(host.reload(), name="reload")
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    loop.add_signal_handler(signal.SIGHUP, on_hup)
    heartbeat = Heartbeat(heartbeat_path(checked.settings), host.health)
    try:
        problems = await host.start()
        if problems:
            print_problems(problems)
            return 1
        if receive_updates:
            heartbeat.start()
        await stop.wait()
        log.info("stopping")
        return 0
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(signum)
        await heartbeat.stop()
        for task in list(reloads):
            await task
        await host.stop()
