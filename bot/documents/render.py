"""Word documents from templates (docxtpl), with one clear line when a template is wrong.

A school may keep its own templates in a folder (`TEMPLATES_DIR`, laid out like the built-in
`templates/{kk,ru}/NAME.docx`); a file missing there falls back to the built-in one. Rendering
uses jinja2's `StrictUndefined`, so a field the template asks for and Kenes does not fill is an
error, reported as `TemplateProblem` naming the file and the field, never a traceback.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from docx.opc.exceptions import PackageNotFoundError
from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError

BUILTIN_TEMPLATES = Path(__file__).resolve().parent / "templates"


class TemplateProblem(Exception):
    """A template that cannot be filled: `str(exc)` is one line for the user or the admin."""


def template_path(name: str, lang: str, folder: Path | None = None) -> Path:
    if folder is not None:
        own = folder / lang / f"{name}.docx"
        if own.is_file():
            return own
    return BUILTIN_TEMPLATES / lang / f"{name}.docx"


_UNDEFINED = re.compile(r"'(?:[^']*)' has no attribute '([^']+)'|'([^']+)' is undefined")


def _field(message: str) -> str:
    m = _UNDEFINED.search(message)
    return (m.group(1) or m.group(2)) if m else message


def render_docx(path: Path, context: dict[str, Any]) -> bytes:
    """The filled document as bytes, or `TemplateProblem` with one line saying what is wrong."""
    where = f"{path.parent.name}/{path.name}"
    try:
        template = DocxTemplate(str(path))
        template.render(context, Environment(undefined=StrictUndefined), autoescape=True)
        out = io.BytesIO()
        template.save(out)
    except UndefinedError as exc:
        raise TemplateProblem(
            f"template {where}: unknown field «{_field(exc.message or '')}»; "
            "see the fields in bot/documents/context.py"
        ) from None
    except TemplateSyntaxError as exc:
        raise TemplateProblem(
            f"template {where}: broken tag ({exc.message}); check the {{{{ }}}} and {{% %}} "
            "marks in the file"
        ) from None
    except TemplateError as exc:
        raise TemplateProblem(f"template {where}: {exc.message}") from None
    except (TypeError, ValueError, AttributeError) as exc:  # a tag used on the wrong kind of field
        raise TemplateProblem(f"template {where}: a tag cannot be filled ({exc})") from None
    except (zipfile.BadZipFile, KeyError, PackageNotFoundError) as exc:
        raise TemplateProblem(f"template {where}: not a Word .docx file ({exc})") from None
    except OSError as exc:
        raise TemplateProblem(f"template {where}: cannot read it ({exc.strerror})") from None
    return out.getvalue()
