"""The municipality's logo: what the checks let through and what they refuse, storing and
removing it, and serving it at /logo."""

from __future__ import annotations

import io
import re
import struct
import zlib
from xml.etree import ElementTree as ET  # noqa: S405 (parses only what the sanitiser made)

import pytest
from markupsafe import escape
from sqlalchemy import select

from panel.areas import logo as logos
from panel.areas.models import Municipality
from panel.auth.models import Role
from panel.db import db
from panel.errors import DomainError, PermissionDenied
from panel.privacy.models import AuditEvent
from tests import factories

SVG_NS = "{http://www.w3.org/2000/svg}"


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(width: int = 4, height: int = 3, extra: bytes = b"", data: bytes | None = None,
        header: bytes | None = None) -> bytes:
    """A real RGBA PNG of the given size (every pixel dark blue), with ``extra`` chunks
    after IHDR; ``data`` replaces the inflated image data."""
    raw = data if data is not None else b"".join(
        b"\x00" + b"\x24\x40\x5f\xff" * width for _ in range(height))
    return (logos.PNG_SIGNATURE
            + chunk(b"IHDR", header or struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def svg(body: str, attributes: str = 'viewBox="0 0 100 40"', prologue: str = "") -> bytes:
    return (f'{prologue}<svg xmlns="http://www.w3.org/2000/svg" '
            f'xmlns:xlink="http://www.w3.org/1999/xlink" {attributes}>{body}</svg>').encode()


def refused(data: bytes, filename: str) -> str:
    with pytest.raises(logos.LogoError) as caught:
        logos.clean_logo(data, filename)
    return caught.value.message


# -- PNG ---------------------------------------------------------------------------------

def test_a_png_is_kept_with_only_the_chunks_that_draw_it(app):
    text = (chunk(b"tEXt", b"Author\x00Jan Jansen, Stadhuis")
            + chunk(b"tIME", b"\x07\xea" + bytes(5)))
    with app.app_context():
        clean = logos.clean_logo(png(extra=text + chunk(b"pHYs", bytes(9))), "logo.PNG")
    assert clean.content_type == "image/png"
    assert b"Jan Jansen" not in clean.data and b"tIME" not in clean.data
    assert b"pHYs" in clean.data and clean.data.startswith(logos.PNG_SIGNATURE)
    assert clean.data == logos.clean_png(clean.data)  # already clean: unchanged
    assert re.fullmatch(r"[0-9a-f]{64}", clean.sha256)


@pytest.mark.parametrize(("data", "message"), [
    (png()[:-5], logos.BROKEN_PNG),                                    # cut short
    (png() + b"<script>", logos.BROKEN_PNG),                           # something after IEND
    (png().replace(b"IEND\xaeB`\x82", b"IEND\x00\x00\x00\x00"), logos.BROKEN_PNG),  # checksum
    (png(header=struct.pack(">IIBBBBB", 4, 3, 8, 9, 0, 0, 0)), logos.BROKEN_PNG),  # colour type
    (png(data=b"\x00" * 10), logos.BROKEN_PNG),                        # too little image data
    (png(2001, 1), logos.PNG_TOO_LARGE),
    (logos.PNG_SIGNATURE + chunk(b"IEND", b""), logos.BROKEN_PNG),    # no IHDR
])
def test_a_damaged_or_too_large_png_is_refused(app, data, message):
    with app.app_context():
        assert refused(data, "logo.png") == str(message)


def test_a_compression_bomb_is_refused_without_inflating_it(app):
    # 4 × 3 pixels promised, 50 MB of zeros inside: the inflate stops after 49 bytes.
    bomb = png(data=bytes(50 * 1024 * 1024))
    assert len(bomb) < logos.MAX_BYTES
    with app.app_context():
        assert refused(bomb, "logo.png") == str(logos.BROKEN_PNG)


def test_an_interlaced_png_is_measured_by_its_passes(app):
    width, height = 5, 3
    passes = []
    for x, y, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4),
                         (1, 0, 2, 2), (0, 1, 1, 2)):
        columns, rows = (width - x + dx - 1) // dx, (height - y + dy - 1) // dy
        if columns and rows:
            passes.append((b"\x00" + b"\x00\x00\x00\xff" * columns) * rows)
    image = png(width, height, data=b"".join(passes),
                header=struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 1))
    with app.app_context():
        assert logos.clean_logo(image, "logo.png").content_type == "image/png"


# -- names, sizes and types --------------------------------------------------------------

@pytest.mark.parametrize(("data", "filename", "message"), [
    (b"", "logo.png", logos.EMPTY),
    (png(), "logo.svg", logos.PNG_NAMED_SVG),
    (svg("<rect width='10' height='10'/>"), "logo.png", logos.NOT_A_PNG),
    (png(), "logo.gif", logos.WRONG_EXTENSION),
    (png(), "logo", logos.WRONG_EXTENSION),
    (b"GIF89a\x01\x00\x01\x00", "logo.png", logos.NOT_A_PNG),
    (b"%PDF-1.7 not a picture", "logo.svg", logos.NOT_AN_IMAGE),
    (b"<html><body>hello</body></html>", "logo.svg", logos.NOT_AN_IMAGE),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><rect", "logo.svg", logos.BROKEN_SVG),
    (svg("<rect width='1' height='1'/>" * 30_000), "logo.svg", logos.TOO_BIG),
    (png() + bytes(logos.MAX_BYTES), "logo.png", logos.TOO_BIG),
])
def test_files_that_are_not_a_logo_get_a_message_that_says_why(app, data, filename, message):
    with app.app_context():
        assert refused(data, filename) == str(message)


def test_the_messages_are_translated(app):
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        assert refused(b"", "logo.png").startswith("Het bestand is leeg")
        assert refused(png(), "logo.svg").startswith("Dit bestand is een PNG-afbeelding")


# -- SVG ---------------------------------------------------------------------------------

HOSTILE_SVGS = {
    "script": svg("<script>alert(document.cookie)</script><rect width='1' height='1'/>"),
    "script in another namespace": svg(
        "<h:script xmlns:h='http://www.w3.org/1999/xhtml'>alert(1)</h:script>"),
    "onload": svg("<rect width='1' height='1'/>", 'viewBox="0 0 1 1" onload="alert(1)"'),
    "onclick on a shape": svg("<circle r='4' onclick='alert(1)'/>"),
    "javascript: href": svg("<use href='javascript:alert(1)'/>"),
    "javascript: xlink:href": svg("<use xlink:href='javascript:alert(1)'/>"),
    "external href": svg("<use href='https://example.org/sprite.svg#logo'/>"),
    "external xlink:href": svg("<use xlink:href='//example.org/sprite.svg#logo'/>"),
    "data: href": svg("<use href='data:image/svg+xml;base64,PHN2Zy8+'/>"),
    "link": svg("<a href='https://example.org'><rect width='1' height='1'/></a>"),
    "image": svg("<image href='https://example.org/tracker.png' width='1' height='1'/>"),
    "foreignObject": svg("<foreignObject><iframe xmlns='http://www.w3.org/1999/xhtml' "
                         "src='https://example.org'/></foreignObject>"),
    "animation setting a link": svg("<set attributeName='href' to='javascript:alert(1)'/>"),
    "external url() in a fill": svg("<rect width='1' height='1' "
                                    "fill='url(https://example.org/x.svg#g)'/>"),
    "external url() in a style": svg("<rect width='1' height='1' "
                                     "style='fill: url(&quot;//example.org/g&quot;)'/>"),
    "@import in a style element": svg("<style>@import url(https://example.org/a.css);</style>"),
    "escaped CSS": svg("<style>rect { background: u\\72 l(https://example.org) }</style>"),
    "billion laughs": svg("<text>&lol9;</text>", prologue=(
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">'
                  for i in range(1, 10)) + "]>")),
    "external entity": svg("<text>&secret;</text>", prologue=(
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY secret SYSTEM "file:///etc/passwd">]>')),
    "a DTD": svg("<rect width='1' height='1'/>", prologue=(
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">')),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_SVGS))
def test_an_svg_that_could_run_or_fetch_anything_is_refused(app, name):
    with app.app_context():
        assert refused(HOSTILE_SVGS[name], "logo.svg") == str(logos.SVG_ACTIVE)


def test_an_svg_with_too_many_parts_is_refused(app):
    many = svg("<g>" * 50 + "<rect width='1' height='1'/>" + "</g>" * 50)
    crowded = svg("<path d='M0 0h1'/>" * (logos.MAX_SVG_ELEMENTS + 1))
    with app.app_context():
        assert refused(many, "logo.svg") == str(logos.SVG_TOO_COMPLEX)
        assert refused(crowded, "logo.svg") == str(logos.SVG_TOO_COMPLEX)


def test_an_svg_is_rebuilt_from_the_allowed_elements_and_attributes(app):
    source = svg(
        "<metadata><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'/></metadata>"
        "<sodipodi:namedview xmlns:sodipodi='http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd'/>"
        "<title>Gemeente Alkmaar</title>"
        "<defs><linearGradient id='g'><stop offset='0' stop-color='#c00'/></linearGradient>"
        "<path id='shield' d='M0 0h10v10z'/></defs>"
        "<style>.a { fill: #24405f }</style>"
        "<g class='a' data-name='laag 1' inkscape:label='Laag'"
        " xmlns:inkscape='http://www.inkscape.org/namespaces/inkscape'>"
        "<rect width='10' height='10' fill='url(#g)' style='stroke: #000'/>"
        "<use xlink:href='#shield'/><use href='#shield' x='20'/>"
        "<text x='30' y='10'>Gemeente <tspan font-weight='bold'>Alkmaar</tspan> &amp; zo</text>"
        "</g>")
    with app.app_context():
        clean = logos.clean_logo(source, "logo.svg")
    assert clean.content_type == "image/svg+xml"
    root = ET.fromstring(clean.data)  # noqa: S314 (the sanitiser's own output)
    tags = {element.tag.removeprefix(SVG_NS) for element in root.iter()}
    assert tags == {"svg", "title", "defs", "linearGradient", "stop", "path", "style", "g",
                    "rect", "use", "text", "tspan"}
    group = root.find(f"{SVG_NS}g")
    assert group is not None and dict(group.attrib) == {"class": "a"}
    uses = root.findall(f".//{SVG_NS}use")
    assert [u.get("{http://www.w3.org/1999/xlink}href") or u.get("href") for u in uses] == [
        "#shield", "#shield"]
    assert root.find(f".//{SVG_NS}rect").get("fill") == "url(#g)"
    text = root.find(f".//{SVG_NS}text")
    assert "".join(text.itertext()) == "Gemeente Alkmaar & zo"
    assert b"inkscape" not in clean.data and b"metadata" not in clean.data


def test_an_svg_without_a_view_box_gets_one_from_its_size(app):
    with app.app_context():
        clean = logos.clean_logo(svg("<rect width='1' height='1'/>", 'width="120px" height="40"'),
                                 "logo.svg")
        assert ET.fromstring(clean.data).get("viewBox") == "0 0 120 40"  # noqa: S314
        assert refused(svg("<rect width='1' height='1'/>", 'width="100%"'), "logo.svg") == str(
            logos.BROKEN_SVG)


def test_an_svg_that_is_not_svg_is_refused(app):
    with app.app_context():
        assert refused(b"<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'/>",
                       "logo.svg") == str(logos.NOT_AN_IMAGE)


# -- storing -----------------------------------------------------------------------------

def test_an_administrator_stores_and_removes_the_logo_with_an_audit_event(session):
    factories.municipality()
    admin = factories.user(Role.ADMIN)
    stored = logos.save_logo(admin, png(), "wapen.png")
    municipality = session.scalars(select(Municipality)).one()
    assert (municipality.logo_type, municipality.logo_hash) == ("image/png", stored.sha256)
    assert logos.stored_logo() == stored
    logos.remove_logo(admin)
    assert logos.stored_logo() is None
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.object_type, e.actor_id, e.result) for e in events] == [
        ("logo_upload", "municipality", admin.id, "ok"),
        ("logo_remove", "municipality", admin.id, "ok")]
    assert "image/png" in events[0].detail


def test_only_an_administrator_may_change_the_logo(session):
    factories.municipality()
    for role in (Role.TEAM, Role.CLERK):
        staff = factories.user(role)
        with pytest.raises(PermissionDenied):
            logos.save_logo(staff, png(), "logo.png")
        with pytest.raises(PermissionDenied):
            logos.remove_logo(staff)
    assert logos.stored_logo() is None


def test_a_logo_needs_the_municipality_first(session):
    admin = factories.user(Role.ADMIN)
    with pytest.raises(DomainError):
        logos.save_logo(admin, png(), "logo.png")


# -- through the web ---------------------------------------------------------------------

@pytest.fixture
def admin_client(session, login_as):
    factories.municipality(name="Alkmaar")
    factories.user(Role.ADMIN, email="admin@example.org")
    factories.user(Role.TEAM, email="team@example.org")
    session.commit()
    return login_as("admin@example.org")


def upload(client, data: bytes, filename: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post("/beheer/gemeente/logo",
                       data={"file": (io.BytesIO(data), filename), **extra},
                       content_type="multipart/form-data")


def test_the_uploaded_logo_is_in_the_header_and_served_with_strict_headers(app, admin_client):
    assert upload(admin_client, png(), "wapen.png").status_code == 302
    anonymous = app.test_client()
    home = anonymous.get("/").get_data(as_text=True)
    address = re.search(r'<img class="wp-brand__logo" src="(/logo\?v=[0-9a-f]{16})" alt="">', home)
    assert address is not None
    assert "Gemeente Alkmaar" in home or "Municipality of Alkmaar" in home

    served = anonymous.get(address.group(1))
    assert served.status_code == 200 and served.data.startswith(logos.PNG_SIGNATURE)
    assert served.content_type == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; sandbox")
    assert "immutable" in served.headers["Cache-Control"]
    etag = served.headers["ETag"].strip('"')
    assert re.fullmatch(r"[0-9a-f]{64}", etag)

    again = anonymous.get("/logo", headers={"If-None-Match": f'"{etag}"'})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Cache-Control"] == "no-cache"
    assert anonymous.get("/logo", headers={"If-None-Match": '"other"'}).status_code == 200


def test_an_svg_logo_is_served_as_svg(app, admin_client):
    source = svg("<rect width='10' height='10' fill='#24405f'/>")
    assert upload(admin_client, source, "logo.svg").status_code == 302
    served = app.test_client().get("/logo")
    assert served.content_type == "image/svg+xml; charset=utf-8" or (
        served.content_type == "image/svg+xml")
    assert served.data.startswith(b"<?xml") and b"<rect" in served.data
    assert "sandbox" in served.headers["Content-Security-Policy"]


def test_a_bad_file_gets_its_message_on_the_page_and_changes_nothing(app, admin_client):
    hostile = svg("<rect width='1' height='1'/>", 'viewBox="0 0 1 1" onload="alert(1)"')
    response = upload(admin_client, hostile, "logo.svg")
    page = response.get_data(as_text=True)
    with app.test_request_context():  # Dutch, as the page
        message = str(escape(str(logos.SVG_ACTIVE)))
    assert response.status_code == 200
    assert message.startswith("In de SVG-afbeelding") and message in page
    assert 'aria-invalid="true"' in page
    assert 'value="Alkmaar"' in page  # the municipality's form still shows its data
    assert upload(admin_client, b"", "logo.png").status_code == 200
    assert app.test_client().get("/logo").status_code == 404
    with app.app_context():
        assert logos.stored_logo() is None
        assert db.session.scalars(select(AuditEvent.action)).all() == []


def test_the_administrator_removes_the_logo(app, admin_client):
    upload(admin_client, png(), "wapen.png")
    page = admin_client.get("/beheer/gemeente").get_data(as_text=True)
    assert "/beheer/gemeente/logo/verwijderen" in page and "/logo?v=" in page
    assert admin_client.post("/beheer/gemeente/logo/verwijderen").status_code == 302
    assert app.test_client().get("/logo").status_code == 404
    assert "wp-brand__logo" not in app.test_client().get("/").get_data(as_text=True)


def test_staff_who_are_not_administrators_cannot_upload_or_remove(app, admin_client, login_as):
    upload(admin_client, png(), "wapen.png")
    team = login_as("team@example.org")
    assert upload(team, png(8, 8), "ander.png").status_code == 403
    assert team.post("/beheer/gemeente/logo/verwijderen").status_code == 403
    anonymous = app.test_client()
    assert upload(anonymous, png(8, 8), "ander.png").status_code == 302  # to the login page
    with app.app_context():
        assert logos.stored_logo().data == logos.clean_png(png())


def test_logo_forms_need_the_csrf_token(app, admin_client, csrf_enabled):
    assert upload(admin_client, png(), "wapen.png").status_code == 400
    page = admin_client.get("/beheer/gemeente").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert upload(admin_client, png(), "wapen.png", csrf_token=token).status_code == 302
    assert admin_client.post("/beheer/gemeente/logo/verwijderen").status_code == 400
    with app.app_context():
        assert logos.stored_logo() is not None


def test_without_a_logo_there_is_none_to_serve(client, session):
    factories.municipality()
    session.commit()
    assert client.get("/logo").status_code == 404
    assert "wp-brand__logo" not in client.get("/").get_data(as_text=True)
