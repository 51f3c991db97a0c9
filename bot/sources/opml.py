"""OPML import and export of feed lists (the format every feed reader trades)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException


class OPMLError(ValueError):
    """Not an OPML document we can read; the message says why."""


@dataclass(frozen=True)
class OPMLFeed:
    url: str
    title: str


def read_opml(data: bytes) -> list[OPMLFeed]:
    """Every outline with an xmlUrl, at any depth (folders are flattened). defusedxml refuses
    entity declarations and external references."""
    try:
        root = SafeET.fromstring(data)
    except (ET.ParseError, DefusedXmlException) as exc:
        raise OPMLError(f"not valid OPML: {exc}") from None
    if root.tag.lower() != "opml":
        raise OPMLError(f"not OPML: the root element is <{root.tag}>")
    feeds, seen = [], set()
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if url and url not in seen:
            seen.add(url)
            feeds.append(OPMLFeed(url, (outline.get("title") or outline.get("text") or "").strip()))
    return feeds


def write_opml(feeds: list[OPMLFeed], title: str = "raqib feeds") -> bytes:
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for feed in feeds:
        ET.SubElement(body, "outline", type="rss", text=feed.title or feed.url, title=feed.title or feed.url,
                      xmlUrl=feed.url)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
