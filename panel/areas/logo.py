"""The municipality's logo in the page header: checked, sanitised and kept in the database.

An administrator uploads a PNG or SVG file. Nothing of it is trusted:

- a PNG is read chunk by chunk (signature, lengths, checksums, one ``IHDR`` first, one
  ``IEND`` last), its size in pixels is limited, its image data must inflate to exactly the
  size its header promises (so no compression bomb gets through), and it is written anew
  with only the chunks that draw the picture: text, metadata and animation chunks go;
- an SVG is parsed by ``defusedxml`` (no DTD, no entities, no external references) and
  rebuilt from an allow-list of elements and attributes. What could run or fetch anything
  (``script``, ``foreignObject``, event handlers, ``javascript:`` and external links,
  ``url()`` to anything but ``#id``, CSS ``@import``) refuses the file with a message, so
  an administrator knows it was not taken as it was; other unknown elements and attributes
  (an editor's metadata) are left out.

The PNG check is written here rather than done by Pillow: Pillow is a large native
dependency for what is a walk over a few chunks and one bounded ``zlib`` inflate, and
decoding the pixels is the browser's work, behind the strict Content-Security-Policy the
logo is served with (``panel.site.identity``).
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from dataclasses import dataclass
from xml.etree import ElementTree as ET  # noqa: S405 (only builds the clean copy; parsing is defusedxml's)

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as parse_xml
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.areas.models import Municipality
from panel.auth.models import User
from panel.auth.permissions import may_administer, require
from panel.db import db
from panel.errors import DomainError
from panel.privacy import services as audit

MAX_BYTES = 512 * 1024
MAX_PIXELS = 2000  # per side, for a PNG
MAX_SVG_ELEMENTS = 5000
MAX_SVG_DEPTH = 40
PNG = "image/png"
SVG = "image/svg+xml"

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The chunks that draw the picture; anything else (text, time, EXIF, animation) is left out.
PNG_KEPT = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND", b"gAMA", b"cHRM", b"sRGB",
            b"iCCP", b"sBIT", b"bKGD", b"pHYs"}
# Bits per pixel for each colour type, per bit depth allowed.
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_PNG_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
          (0, 1, 1, 2))

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
SVG_ELEMENTS = {
    "svg", "g", "defs", "symbol", "use", "title", "desc", "path", "rect", "circle",
    "ellipse", "line", "polyline", "polygon", "text", "tspan", "linearGradient",
    "radialGradient", "stop", "clipPath", "mask", "pattern", "style",
}
# Refused outright: they run code, embed other documents or fetch other files.
SVG_FORBIDDEN = {"script", "foreignObject", "iframe", "object", "embed", "image", "feImage",
                 "animate", "animateMotion", "animateTransform", "set", "handler", "listener",
                 "a", "audio", "video", "canvas", "link", "discard"}
SVG_ATTRIBUTES = {
    "id", "class", "style", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry",
    "fx", "fy", "fr", "width", "height", "d", "points", "viewBox", "preserveAspectRatio",
    "transform", "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width",
    "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray",
    "stroke-dashoffset", "stroke-opacity", "opacity", "color", "clip-path", "clip-rule",
    "clipPathUnits", "mask", "maskUnits", "maskContentUnits", "offset", "stop-color",
    "stop-opacity", "gradientUnits", "gradientTransform", "spreadMethod", "patternUnits",
    "patternContentUnits", "patternTransform", "font-family", "font-size", "font-weight",
    "font-style", "text-anchor", "dominant-baseline", "letter-spacing", "word-spacing",
    "dx", "dy", "rotate", "textLength", "lengthAdjust", "display", "visibility",
    "vector-effect", "shape-rendering", "paint-order", "role", "aria-label",
    "aria-labelledby", "aria-hidden", "focusable", "version", "href",
    f"{{{XLINK_NS}}}href", f"{{{XML_NS}}}space", f"{{{XML_NS}}}lang",
}
_URL = re.compile(r"url\s*\(\s*(['\"]?)(?P<target>[^'\")]*)\1\s*\)", re.IGNORECASE)
_LOCAL_URL = re.compile(r"#[A-Za-z_][\w.:-]*")
_CSS_DANGER = re.compile(r"@import|expression\s*\(|\\|javascript:|behavior\s*:|-moz-binding",
                         re.IGNORECASE)
_NUMBER = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(px)?\s*")

TOO_BIG = _l("The logo may be at most %(size)s kB.", size=MAX_BYTES // 1024)
EMPTY = _l("The file is empty. Choose the logo's PNG or SVG file.")
NOT_AN_IMAGE = _l("This file is not a PNG or SVG image.")
WRONG_EXTENSION = _l("Choose a file whose name ends in .png or .svg.")
NOT_A_PNG = _l("The file's name ends in .png, but the file is not a PNG image.")
PNG_NAMED_SVG = _l("This file is a PNG image, but its name ends in .svg. Change the name "
                   "to end in .png and upload it again.")
BROKEN_PNG = _l("This PNG image is damaged or incomplete. Save it again and upload it.")
PNG_TOO_LARGE = _l("The logo may be at most %(pixels)s by %(pixels)s pixels.",
                   pixels=MAX_PIXELS)
BROKEN_SVG = _l("This SVG image cannot be read. Save it again as plain SVG and upload it.")
SVG_ACTIVE = _l("The SVG image contains a script, a link to another file or other active "
                "content. A logo may only contain shapes and text.")
SVG_TOO_COMPLEX = _l("The SVG image has too many parts for a logo.")
NO_MUNICIPALITY = _l("Set the municipality's code and name first.")


class LogoError(DomainError):
    """An uploaded file that cannot be the logo; ``message`` says why, translated."""


@dataclass(frozen=True)
class Logo:
    """A logo ready to store and serve: the clean bytes, their type and SHA-256."""

    data: bytes
    content_type: str
    sha256: str


def clean_logo(data: bytes, filename: str) -> Logo:
    """The logo in ``data`` (uploaded as ``filename``), checked and rebuilt. Raises
    LogoError with a message for the administrator when it cannot be a logo."""
    if not data:
        raise LogoError(EMPTY)
    if len(data) > MAX_BYTES:
        raise LogoError(TOO_BIG)
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in {"png", "svg"}:
        raise LogoError(WRONG_EXTENSION)
    is_png = data.startswith(PNG_SIGNATURE)
    if extension == "png" and not is_png:
        raise LogoError(NOT_A_PNG)
    if extension == "svg" and is_png:
        raise LogoError(PNG_NAMED_SVG)
    cleaned, content_type = (clean_png(data), PNG) if is_png else (clean_svg(data), SVG)
    return Logo(cleaned, content_type, hashlib.sha256(cleaned).hexdigest())


# -- PNG ---------------------------------------------------------------------------------

def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Every chunk as (type, data), checked: lengths within the file, checksums right, IHDR
    first, IEND last with nothing after it."""
    chunks: list[tuple[bytes, bytes]] = []
    position = len(PNG_SIGNATURE)
    while position < len(data):
        if position + 12 > len(data):
            raise LogoError(BROKEN_PNG)
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        end = position + 8 + length
        if end + 4 > len(data) or not kind.isalpha():
            raise LogoError(BROKEN_PNG)
        body = data[position + 8:end]
        (checksum,) = struct.unpack(">I", data[end:end + 4])
        if zlib.crc32(kind + body) != checksum:
            raise LogoError(BROKEN_PNG)
        chunks.append((kind, body))
        position = end + 4
        if kind == b"IEND":
            break
    if (not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND"
            or position != len(data)):
        raise LogoError(BROKEN_PNG)
    return chunks


def _png_data_size(width: int, height: int, bits_per_pixel: int, interlaced: bool) -> int:
    """How many bytes the image data inflates to: per row a filter byte and the pixels."""
    def rows(w: int, h: int) -> int:
        return 0 if w == 0 or h == 0 else h * (1 + (w * bits_per_pixel + 7) // 8)

    if not interlaced:
        return rows(width, height)
    return sum(rows((width - x + dx - 1) // dx, (height - y + dy - 1) // dy)
               for x, y, dx, dy in _ADAM7)


def clean_png(data: bytes) -> bytes:
    """The PNG in ``data`` with only the chunks that draw it. Raises LogoError."""
    chunks = _png_chunks(data)
    header = chunks[0][1]
    if len(header) != 13:
        raise LogoError(BROKEN_PNG)
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", header)
    if (colour not in _PNG_DEPTHS or depth not in _PNG_DEPTHS[colour] or compression
            or filtering or interlace > 1 or not width or not height):
        raise LogoError(BROKEN_PNG)
    if width > MAX_PIXELS or height > MAX_PIXELS:
        raise LogoError(PNG_TOO_LARGE)
    if colour == 3 and not any(kind == b"PLTE" for kind, _ in chunks):
        raise LogoError(BROKEN_PNG)
    expected = _png_data_size(width, height, _PNG_CHANNELS[colour] * depth, interlace == 1)
    inflater = zlib.decompressobj()
    inflated = 0
    try:
        for kind, body in chunks:
            if kind == b"IDAT":
                inflated += len(inflater.decompress(body, expected + 1 - inflated))
                if inflated > expected or inflater.unconsumed_tail:
                    raise LogoError(BROKEN_PNG)
    except zlib.error:
        raise LogoError(BROKEN_PNG) from None
    if inflated != expected or not inflater.eof:
        raise LogoError(BROKEN_PNG)
    kept = [(kind, body) for kind, body in chunks if kind in PNG_KEPT]
    return PNG_SIGNATURE + b"".join(
        struct.pack(">I", len(body)) + kind + body
        + struct.pack(">I", zlib.crc32(kind + body)) for kind, body in kept)


# -- SVG ---------------------------------------------------------------------------------

def _local_name(tag: str) -> tuple[str, str]:
    """(namespace, name) of an ElementTree tag or attribute name."""
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def _check_urls(value: str) -> None:
    """Refuse a value that points anywhere but into the image itself."""
    for match in _URL.finditer(value):
        if not _LOCAL_URL.fullmatch(match.group("target").strip()):
            raise LogoError(SVG_ACTIVE)
    if _CSS_DANGER.search(value):
        raise LogoError(SVG_ACTIVE)


def _clean_attributes(element: ET.Element, name: str) -> dict[str, str]:
    clean: dict[str, str] = {}
    for attribute, value in element.attrib.items():
        namespace, local = _local_name(attribute)
        if local.lower().startswith("on"):
            raise LogoError(SVG_ACTIVE)  # an event handler
        if local == "href":
            if not value.strip().startswith("#"):
                raise LogoError(SVG_ACTIVE)  # javascript:, data: or another file
            clean[attribute if namespace else "href"] = value.strip()
            continue
        if attribute not in SVG_ATTRIBUTES:
            continue  # an editor's own attribute (inkscape:…, data-…): left out
        _check_urls(value)
        clean[attribute] = value
    if name == "svg":
        clean.pop("x", None)
        clean.pop("y", None)
    return clean


def _copy(source: ET.Element, depth: int, count: list[int]) -> ET.Element | None:
    """The allowed part of ``source`` as a new element, or None to leave it out."""
    namespace, name = _local_name(source.tag)
    if name in SVG_FORBIDDEN:
        raise LogoError(SVG_ACTIVE)
    if namespace != SVG_NS or name not in SVG_ELEMENTS:
        return None  # metadata, sodipodi:namedview and the like
    count[0] += 1
    if count[0] > MAX_SVG_ELEMENTS or depth > MAX_SVG_DEPTH:
        raise LogoError(SVG_TOO_COMPLEX)
    copy = ET.Element(f"{{{SVG_NS}}}{name}", _clean_attributes(source, name))
    if name in {"text", "tspan", "title", "desc", "style"}:
        if name == "style" and source.text:
            _check_urls(source.text)
        copy.text = source.text
    for child in source:
        kept = _copy(child, depth + 1, count)
        if kept is not None:
            copy.append(kept)
        if name in {"text", "tspan"} and child.tail:
            (kept if kept is not None else copy).tail = child.tail
    return copy


def clean_svg(data: bytes) -> bytes:
    """The SVG in ``data`` rebuilt from the allowed elements and attributes. Raises
    LogoError."""
    try:
        root = parse_xml(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise LogoError(SVG_ACTIVE) from None
    except (ParseError, ValueError):
        raise LogoError(NOT_AN_IMAGE if not data.lstrip().startswith(b"<")
                        else BROKEN_SVG) from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise LogoError(NOT_AN_IMAGE)
    clean = _copy(root, 0, [0])
    assert clean is not None  # noqa: S101 (the root is an svg element)
    if "viewBox" not in clean.attrib:
        width = _NUMBER.fullmatch(clean.get("width", ""))
        height = _NUMBER.fullmatch(clean.get("height", ""))
        if not (width and height):
            raise LogoError(BROKEN_SVG)  # no size: it cannot be scaled to the header
        clean.set("viewBox", f"0 0 {width.group(1)} {height.group(1)}")
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    return ET.tostring(clean, encoding="utf-8", xml_declaration=True)


# -- storing -----------------------------------------------------------------------------

def _municipality() -> Municipality:
    municipality = db.session.scalars(select(Municipality).limit(1)).first()
    if municipality is None:
        raise DomainError(NO_MUNICIPALITY)
    return municipality


def save_logo(user: User, data: bytes, filename: str) -> Logo:
    """Check ``data`` and make it the municipality's logo. Admin only; raises DomainError
    (LogoError) when the file cannot be a logo or no municipality is set."""
    require(may_administer(user))
    municipality = _municipality()
    logo = clean_logo(data, filename)
    municipality.logo, municipality.logo_type, municipality.logo_hash = (
        logo.data, logo.content_type, logo.sha256)
    db.session.flush()
    audit.record("logo_upload", "municipality", municipality.id, actor=user,
                 detail=f"{logo.content_type}, {len(logo.data)} bytes")
    return logo


def remove_logo(user: User) -> None:
    """Take the logo away (the header shows the name alone). Admin only."""
    require(may_administer(user))
    municipality = _municipality()
    if municipality.logo_hash is None:
        return
    municipality.logo = municipality.logo_type = municipality.logo_hash = None
    db.session.flush()
    audit.record("logo_remove", "municipality", municipality.id, actor=user)


def stored_logo() -> Logo | None:
    """The logo as stored, or None."""
    row = db.session.execute(select(Municipality.logo, Municipality.logo_type,
                                    Municipality.logo_hash).limit(1)).first()
    if row is None or row[0] is None or row[2] is None:
        return None
    return Logo(bytes(row[0]), row[1] or PNG, row[2])
