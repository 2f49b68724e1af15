"""An administrator opens the mail page, checks the settings, sends a test message to
themselves and reads the outbox; every page passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from panel.auth.models import Role
from panel.mail import services
from tests import factories
from tests.browser.helpers import check_accessibility, visit


@pytest.fixture
def admin(session) -> None:  # type: ignore[no-untyped-def]
    factories.user(Role.ADMIN, email="admin@example.org")
    services.queue("jan.jansen@example.nl", "Uitnodiging", "test_message", {"name": "Jan"})
    session.commit()


def test_admin_checks_the_mail_settings_and_sends_a_test_message(page: Page, admin, smtp,
                                                                 app, monkeypatch):
    visit(page, "/beheer/inloggen")
    page.get_by_label("E-mailadres").fill("admin@example.org")
    page.get_by_label("Wachtwoord").fill(factories.PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    visit(page, "/beheer/mail")
    expect(page.get_by_role("heading", level=1)).to_have_text("E-mail")
    expect(page.get_by_text("j***@e***.nl")).to_be_visible()
    expect(page.get_by_text("nog nooit gecontroleerd")).to_be_visible()

    page.get_by_role("button", name="Instellingen controleren").click()
    expect(page.get_by_role("status").filter(has_text="De e-mailinstellingen werken.")) \
        .to_be_visible()
    expect(page.get_by_text(f"Verbonden met {smtp.host}:{smtp.port}.")).to_be_visible()
    check_accessibility(page)

    page.get_by_role("button", name="Stuur mij een testbericht").click()
    expect(page.get_by_text("Het testbericht is verstuurd naar admin@example.org.")) \
        .to_be_visible()
    check_accessibility(page)
    assert [email["To"] for email in smtp.messages] == ["admin@example.org"]

    monkeypatch.setitem(app.config, "PANEL_SMTP_STARTTLS", True)  # this server has none
    page.get_by_role("button", name="Instellingen controleren").click()
    expect(page.get_by_role("alert")).to_contain_text("biedt geen STARTTLS aan")
    check_accessibility(page)

    page.get_by_label("Status").select_option("sent")
    page.get_by_role("button", name="Tonen").click()
    expect(page.get_by_role("cell", name="a***@e***.org")).to_be_visible()
    expect(page.get_by_text("j***@e***.nl")).to_have_count(0)
    check_accessibility(page)
