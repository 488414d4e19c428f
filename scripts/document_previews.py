"""Write every council document from the sample year, and (with LibreOffice) their pages as PNG.

    .venv/bin/python scripts/document_previews.py [OUT_DIR] [--png] [--dpi 50]

Used to look at the papers as a secretary would (README: "The council's papers"); the PNGs in
docs/ were made with ``--png --dpi 50``. Needs `soffice` and `pdftoppm` for --png
(apt-get install libreoffice-writer libreoffice-calc poppler-utils).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def write_all(out: Path) -> list[Path]:
    from bot.config import CALENDAR_DIR, DEFAULT_PLAN
    from bot.core.calendar import load_calendar
    from bot.core.plan import load_plan
    from bot.documents import DocOptions, produce
    from bot.documents.data import RegisterFilter
    from bot.documents.sample import seed_year
    from db.engine import create_engine, create_session_pool, upgrade_database

    plan = load_plan(DEFAULT_PLAN)
    calendar = load_calendar(CALENDAR_DIR / "2026-2027.json")
    now = datetime(2026, 11, 30, 12, 0, tzinfo=calendar.tz)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/kenes.db"
        upgrade_database(url)
        engine = create_engine(url)
        try:
            async with create_session_pool(engine)() as session:
                tally = await seed_year(session, plan, calendar)
                opts = DocOptions(school="№1 жалпы білім беретін мектеп, Хромтау ауданы")
                for lang in ("kk", "ru"):
                    made = [
                        await produce.minutes(session, plan, calendar, now, lang, opts, 4,
                                              with_appendix=True),
                        await produce.register(session, plan, calendar, now, lang, opts,
                                               RegisterFilter.YEAR, "xlsx"),
                        await produce.register(session, plan, calendar, now, lang, opts,
                                               RegisterFilter.YEAR, "docx"),
                        await produce.analysis(session, plan, calendar, now, lang, opts,
                                               half=True, fmt="docx"),
                        await produce.analysis(session, plan, calendar, now, lang, opts,
                                               half=True, fmt="xlsx"),
                        await produce.case_file(session, plan, calendar, now, lang, opts,
                                                tally.students[0][0], actor=None, via="preview"),
                        await produce.effective_plan(session, plan, calendar, now, lang, opts),
                    ]  # fmt: skip
                    for m in made:
                        assert m is not None
                        path = out / m.filename
                        path.write_bytes(m.content)
                        written.append(path)
        finally:
            await engine.dispose()
    return written


def to_png(paths: list[Path], out: Path, dpi: int) -> None:
    soffice = shutil.which("soffice")
    if soffice is None or shutil.which("pdftoppm") is None:
        raise SystemExit("soffice and pdftoppm are needed for --png")
    pdf_dir = out / "pdf"
    pdf_dir.mkdir(exist_ok=True)
    subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(pdf_dir), *map(str, paths)],
        check=True,
        capture_output=True,
    )
    for pdf in sorted(pdf_dir.glob("*.pdf")):
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(out / pdf.stem)], check=True
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, default=Path("document-previews"))
    parser.add_argument("--png", action="store_true")
    parser.add_argument("--dpi", type=int, default=50)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    paths = asyncio.run(write_all(args.out))
    for path in paths:
        print(path)
    if args.png:
        to_png(paths, args.out, args.dpi)


if __name__ == "__main__":
    main()
