"""The Bot API specification (``data/bot-api-10.1.min.json``) and parameter validation.

Telegram receives every parameter as a string (query string, urlencoded or multipart form)
or as a JSON value (``application/json`` body).  Objects and arrays sent as form fields are
JSON-serialized strings.  :func:`coerce_params` turns the raw values into Python values typed
after the spec and raises :class:`ApiError` with a Telegram-like description when a value
cannot be one of the field's types.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "ApiError",
    "MethodSpec",
    "ParamSpec",
    "Spec",
    "UploadedFile",
    "coerce_params",
    "load_spec",
]

_INT_RE = re.compile(r"^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_TRUE = {"true", "1"}
_FALSE = {"false", "0"}

# Human names Telegram uses in "can't parse ... JSON object" errors.
_OBJECT_NAMES = {
    "reply_markup": "reply keyboard markup",
    "entities": "entities",
    "caption_entities": "caption entities",
    "commands": "commands",
    "allowed_updates": "allowed updates",
    "link_preview_options": "link preview options",
    "reply_parameters": "reply parameters",
    "scope": "BotCommandScope",
}
_TYPE_NAMES = {
    "InlineKeyboardButton": "inline keyboard button",
    "KeyboardButton": "keyboard button",
    "InlineKeyboardMarkup": "inline keyboard",
    "ReplyKeyboardMarkup": "keyboard",
    "MessageEntity": "MessageEntity",
}


class ApiError(Exception):
    """An error response: ``{"ok": false, "error_code": code, "description": description}``."""

    def __init__(
        self,
        code: int,
        description: str,
        parameters: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.parameters = dict(parameters) if parameters else None

    @classmethod
    def bad_request(cls, text: str) -> ApiError:
        return cls(400, f"Bad Request: {text}")

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    field_name: str
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class ParamSpec:
    name: str
    types: tuple[str, ...]
    required: bool
    description: str = ""


@dataclass(frozen=True)
class MethodSpec:
    name: str
    params: dict[str, ParamSpec]
    returns: tuple[str, ...]


@dataclass(frozen=True)
class TypeSpec:
    name: str
    fields: dict[str, ParamSpec] = field(default_factory=dict)
    subtypes: tuple[str, ...] = ()


class Spec:
    """Methods and types of one Bot API version."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.version: str = raw.get("version", "?")
        self.methods: dict[str, MethodSpec] = {}
        self.types: dict[str, TypeSpec] = {}
        for name, method in raw["methods"].items():
            params = {
                f["name"]: ParamSpec(
                    f["name"], tuple(f["types"]), bool(f["required"]), f.get("description", "")
                )
                for f in method.get("fields", [])
            }
            self.methods[name] = MethodSpec(name, params, tuple(method.get("returns", ())))
        for name, type_ in raw["types"].items():
            fields = {
                f["name"]: ParamSpec(
                    f["name"], tuple(f["types"]), bool(f["required"]), f.get("description", "")
                )
                for f in type_.get("fields", [])
            }
            self.types[name] = TypeSpec(name, fields, tuple(type_.get("subtypes", ())))
        self._lower = {name.lower(): name for name in self.methods}

    def resolve_method(self, name: str) -> MethodSpec | None:
        """Method names are case-insensitive, as in the real Bot API."""
        canonical = self._lower.get(name.lower())
        return self.methods[canonical] if canonical else None


@cache
def load_spec() -> Spec:
    text = (
        resources.files("fakegram")
        .joinpath("data/bot-api-10.1.min.json")
        .read_text(encoding="utf-8")
    )
    return Spec(json.loads(text))


class _TypeMismatch(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def coerce_params(
    method: MethodSpec,
    raw: Mapping[str, Any],
    files: Mapping[str, UploadedFile],
    spec: Spec | None = None,
) -> dict[str, Any]:
    """Validate and convert raw request parameters according to ``method``.

    Unknown parameters are dropped silently (Telegram ignores them).  Missing required
    parameters are *not* checked here: method handlers report them with the texts Telegram
    uses for each method (see :func:`missing_param_error`).
    """
    spec = spec or load_spec()
    result: dict[str, Any] = {}
    for name, param in method.params.items():
        if name in raw:
            value = raw[name]
        elif name in files:
            value = files[name]
        else:
            continue
        result[name] = _coerce_top(spec, param, value, files)
    return result


def missing_param_error(method: str, name: str) -> ApiError:
    if name == "text" and method in {"sendMessage", "editMessageText"}:
        return ApiError.bad_request("message text is empty")
    if name == "chat_id":
        return ApiError.bad_request("chat_id is empty")
    if name == "message_id":
        return ApiError.bad_request("message identifier is not specified")
    if name in {"document", "photo", "audio", "video", "animation", "voice", "sticker"}:
        return ApiError.bad_request(f"there is no {name} in the request")
    if name == "callback_query_id":
        return ApiError.bad_request(
            "query is too old and response timeout expired or query ID is invalid"
        )
    return ApiError.bad_request(f'parameter "{name}" is required')


def _coerce_top(
    spec: Spec, param: ParamSpec, value: Any, files: Mapping[str, UploadedFile]
) -> Any:
    errors: list[tuple[int, str]] = []
    keys = _json_keys(value)
    for type_name in param.types:
        try:
            return _coerce(spec, type_name, value, files, path=param.name, top=True)
        except _TypeMismatch as exc:
            # Report the error of the type the value looks most like.
            type_spec = spec.types.get(type_name)
            score = len(keys & set(type_spec.fields)) if type_spec and keys else -1
            errors.append((score, exc.message))
    best = max(score for score, _ in errors)
    raise ApiError.bad_request(next(message for score, message in errors if score == best))


def _json_keys(value: Any) -> set[str]:
    if isinstance(value, str) and value.lstrip()[:1] == "{":
        try:
            value = json.loads(value)
        except ValueError:
            return set()
    return set(value) if isinstance(value, dict) else set()


def _expected(type_name: str, path: str) -> _TypeMismatch:
    article = "an" if type_name[0] in "AEIOU" else "a"
    if type_name.startswith("Array of"):
        return _TypeMismatch(f'field "{path}" must be an Array')
    if type_name in {"Integer", "String", "Boolean", "Float", "InputFile"}:
        return _TypeMismatch(f'field "{path}" must be of type {type_name}')
    return _TypeMismatch(f'field "{path}" must be {article} {type_name} object')


def _coerce(
    spec: Spec,
    type_name: str,
    value: Any,
    files: Mapping[str, UploadedFile],
    *,
    path: str,
    top: bool = False,
) -> Any:
    if type_name == "Integer":
        if isinstance(value, bool):
            raise _expected(type_name, path)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT_RE.match(value.strip()):
            return int(value.strip())
        raise _expected(type_name, path)
    if type_name == "Float":
        if isinstance(value, bool):
            raise _expected(type_name, path)
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str) and _FLOAT_RE.match(value.strip()):
            return float(value)
        raise _expected(type_name, path)
    if type_name == "String":
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise _expected(type_name, path)
    if type_name == "Boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
        raise _expected(type_name, path)
    if type_name == "InputFile":
        if isinstance(value, UploadedFile):
            return value
        if isinstance(value, str) and value.startswith("attach://"):
            attached = files.get(value.removeprefix("attach://"))
            if attached is None:
                raise _TypeMismatch(f"file {value!r} is not found in the request")
            return attached
        raise _expected(type_name, path)
    if type_name.startswith("Array of "):
        inner = type_name.removeprefix("Array of ")
        if isinstance(value, str) and top:
            try:
                value = json.loads(value)
            except ValueError:
                name = _OBJECT_NAMES.get(path, path)
                raise _TypeMismatch(f"can't parse {name} JSON object") from None
        if not isinstance(value, list):
            raise _expected(type_name, path)
        return [
            _coerce(spec, inner, item, files, path=f"{path}[{i}]") for i, item in enumerate(value)
        ]
    type_spec = spec.types.get(type_name)
    if type_spec is None:
        raise _TypeMismatch(f"unknown type {type_name}")
    if type_name == "KeyboardButton" and isinstance(value, str):
        return {"text": value}  # plain strings are accepted as keyboard buttons
    if isinstance(value, str) and top:
        try:
            value = json.loads(value)
        except ValueError:
            name = _OBJECT_NAMES.get(path, path)
            raise _TypeMismatch(f"can't parse {name} JSON object") from None
    if not isinstance(value, dict):
        raise _expected(type_name, path)
    return _coerce_object(spec, type_spec, value, files, path=path)


def _coerce_object(
    spec: Spec,
    type_spec: TypeSpec,
    value: dict[str, Any],
    files: Mapping[str, UploadedFile],
    *,
    path: str,
) -> dict[str, Any]:
    if type_spec.subtypes:
        errors: list[tuple[int, str]] = []
        candidates = [
            sub for sub in type_spec.subtypes if _pinned(spec.types[sub]) == value.get("type")
        ] or list(type_spec.subtypes)
        for sub in candidates:
            sub_spec = spec.types[sub]
            try:
                return _coerce_object(spec, sub_spec, value, files, path=path)
            except _TypeMismatch as exc:
                overlap = len(set(value) & set(sub_spec.fields))
                errors.append((overlap, exc.message))
        errors.sort(key=lambda item: -item[0])
        raise _TypeMismatch(errors[0][1])
    result: dict[str, Any] = {}
    for name, param in type_spec.fields.items():
        if name not in value or value[name] is None:
            if param.required:
                what = _TYPE_NAMES.get(type_spec.name, type_spec.name)
                raise _TypeMismatch(f"can't parse {what}: Can't find field \"{name}\"")
            continue
        # Discriminated unions (BotCommandScope*, MessageOrigin*, ...) pin "type" in the
        # description: 'Scope type, must be chat'.
        if name == "type":
            pinned = _pinned(type_spec)
            if pinned is not None and value[name] != pinned:
                raise _TypeMismatch(
                    f'field "{path}.{name}" must be "{pinned}" for {type_spec.name}'
                )
        last: _TypeMismatch | None = None
        for type_name in param.types:
            try:
                result[name] = _coerce(spec, type_name, value[name], files, path=name)
                break
            except _TypeMismatch as exc:
                last = exc
        else:
            assert last is not None
            if last.message.startswith("can't parse"):
                raise last
            what = _TYPE_NAMES.get(type_spec.name, type_spec.name)
            raise _TypeMismatch(f"can't parse {what}: {_capitalize(last.message)}")
    return result


def _pinned(type_spec: TypeSpec) -> str | None:
    """The constant ``type`` of a union member ("Scope type, must be chat" -> "chat")."""
    field_spec = type_spec.fields.get("type")
    if field_spec is None:
        return None
    match = re.search(r'must be ["“]?([a-z_]+)["”]?', field_spec.description)
    return match.group(1) if match else None


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]
