"""The council's papers: minutes, the register, the half-year and annual analyses, a child's
case file and the effective plan, as the .docx/.xlsx files schools file.

* `data` — the one query layer (plain dataclasses; every figure is computed there once);
* `context` — Word template contexts (formatting only); `labels` — the documents' words;
* `render` — docxtpl with StrictUndefined, a wrong template as one clear line;
* `xlsx` — XlsxWriter workbooks with native charts;
* `produce` — each document as a file (`Produced`), for the bot, the CLI and the demo;
* `build_templates` — the script that made the committed templates in `templates/`.
"""

from bot.documents.produce import DocOptions, Produced
from bot.documents.render import TemplateProblem

__all__ = ["DocOptions", "Produced", "TemplateProblem"]
