"""Open311 responses in JSON and XML, chosen by the path's suffix.

The JSON is the spec's "Spark convention" mapping of the XML: a list of items for a list root, an object for a
single root. The XML is built with ElementTree (never by pasting strings), UTF-8, with the declaration the spec asks
for, no namespace. Plural elements hold their singular children: attributes/attribute, values/value, ...
"""

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from django.http import HttpResponse

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
FORMATS = tuple(CONTENT_TYPES)
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# The singular element of each plural one (a list value inside an item).
SINGULAR = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}
# Characters XML 1.0 cannot carry at all (control characters a client might have sent in a description).
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

Item = Mapping[str, Any]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return NOT_XML.sub("", str(value))


def _fill(parent: ET.Element, item: Item) -> None:
    for name, value in item.items():
        child = ET.SubElement(parent, name)
        if isinstance(value, list):
            for entry in value:
                grandchild = ET.SubElement(child, SINGULAR[name])
                if isinstance(entry, Mapping):
                    _fill(grandchild, entry)
                else:
                    grandchild.text = _text(entry)
        else:
            child.text = _text(value)


def _xml(root: ET.Element) -> bytes:
    return XML_DECLARATION + ET.tostring(root, encoding="utf-8", xml_declaration=False)


def _response(body: bytes, fmt: str, status: int) -> HttpResponse:
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt], status=status)
    # Open311 is meant to be used by any app, web apps too: let a browser hand them the answer (no cookies are
    # involved: api_key is a parameter, so this opens nothing a server-side client could not already do)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def items(fmt: str, root: str, item: str, rows: Sequence[Item], *, status: int = 200) -> HttpResponse:
    """A list: JSON `[{...}, ...]`, XML `<root><item>...</item>...</root>`."""
    if fmt == "json":
        return _response(json.dumps(list(rows), ensure_ascii=False).encode(), fmt, status)
    element = ET.Element(root)
    for row in rows:
        _fill(ET.SubElement(element, item), row)
    return _response(_xml(element), fmt, status)


def one(fmt: str, root: str, row: Item, *, status: int = 200) -> HttpResponse:
    """A single object: JSON `{...}`, XML `<root>...</root>` (service definition, discovery)."""
    if fmt == "json":
        return _response(json.dumps(row, ensure_ascii=False).encode(), fmt, status)
    element = ET.Element(root)
    _fill(element, row)
    return _response(_xml(element), fmt, status)


def errors(fmt: str, status: int, descriptions: Sequence[str]) -> HttpResponse:
    """The spec's error body: `[{"code": 400, "description": "..."}]` or `<errors><error>...</error></errors>`."""
    rows = [{"code": status, "description": str(text)} for text in descriptions]
    return items(fmt, "errors", "error", rows, status=status)
