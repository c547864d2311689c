"""HTML forms: the body type of a form POST and reading its fields."""

from __future__ import annotations

from typing import Annotated, Any

from litestar.enums import RequestEncodingType
from litestar.params import Body

#: A url-encoded form; a field sent more than once (checkboxes, rows) arrives as a list.
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def field(form: dict[str, Any], name: str) -> str:
    """One text field of a form ('' when absent; the first when sent twice)."""
    value = form.get(name, "")
    return str(value[0] if isinstance(value, list) and value else value or "")


def fields(form: dict[str, Any], name: str) -> list[str]:
    """Every value of a repeated field (checkboxes, rows), in the order sent."""
    value = form.get(name, [])
    return [str(v) for v in (value if isinstance(value, list) else [value])]
