"""What the privacy statement and the processing register say, generated from the
configuration so that both always match what the application really does.

``privacy_facts()`` feeds the public page ``/privacy``; ``processing_register()`` gives the
entry for the register of processing activities (AVG/GDPR article 30) as a JSON-ready
dictionary, and ``register_rows()`` the same as field/value rows for a CSV file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app

from panel.i18n import gettext as _
from panel.i18n import ngettext
from panel.templating import header_municipality

AUTHORITY_URL = "https://autoriteitpersoonsgegevens.nl/"


@dataclass
class Retention:
    unconfirmed_days: int
    mail_days: int
    upload_days: int
    audit_days: int


@dataclass
class PrivacyFacts:
    """The facts behind the privacy statement, with the configured retention periods."""

    municipality: str
    controller: str
    privacy_contact: str
    privacy_contact_is_email: bool
    dpo_contact: str
    dpo_contact_is_email: bool
    retention: Retention


def _retention() -> Retention:
    config = current_app.config
    return Retention(
        unconfirmed_days=int(config.get("PANEL_RETENTION_UNCONFIRMED_DAYS", 60)),
        mail_days=int(config.get("PANEL_RETENTION_MAIL_DAYS", 30)),
        upload_days=int(config.get("PANEL_RETENTION_UPLOAD_DAYS", 7)),
        audit_days=int(config.get("PANEL_RETENTION_AUDIT_DAYS", 365)))


def _contact(setting: str) -> str:
    return str(current_app.config.get(setting, "")).strip()


def privacy_fingerprint() -> tuple[object, ...]:
    """What the privacy statement shows besides its fixed texts, read as
    :func:`privacy_facts` reads it but without building the page: the contacts and the
    retention periods from the settings. The page's ETag is made from it
    (``panel.conditional``); the municipality's name is in every public page's ETag with
    the page header."""
    return _contact("PANEL_PRIVACY_CONTACT"), _contact("PANEL_DPO_CONTACT"), _retention()


def privacy_facts() -> PrivacyFacts:
    """Names and contacts from the municipality and ``PANEL_PRIVACY_CONTACT`` /
    ``PANEL_DPO_CONTACT``; when those are not set, the texts name the municipality's
    privacy officer instead of an address. What it shows from the settings is in
    :func:`privacy_fingerprint` too."""
    municipality = header_municipality()  # the row the page header shows, read once
    name = municipality.name if municipality else ""
    controller = _("The municipality of %(name)s", name=name) if name else \
        _("The municipality")
    privacy = _contact("PANEL_PRIVACY_CONTACT")
    dpo = _contact("PANEL_DPO_CONTACT")
    return PrivacyFacts(
        municipality=name, controller=controller,
        privacy_contact=privacy or (
            _("the privacy officer of the municipality of %(name)s", name=name) if name
            else _("the privacy officer of the municipality")),
        privacy_contact_is_email="@" in privacy and " " not in privacy,
        dpo_contact=dpo or (
            _("the data protection officer of the municipality of %(name)s", name=name)
            if name else _("the data protection officer of the municipality")),
        dpo_contact_is_email="@" in dpo and " " not in dpo,
        retention=_retention())


def _days(days: int) -> str:
    return ngettext("%(num)s day", "%(num)s days", days)


def retention_lines(retention: Retention) -> list[str]:
    """One sentence per retention period (also used on the privacy page)."""
    return [
        _("While you are in the panel, we keep your data."),
        _("When you leave the panel, we erase your data at once. Only your wijk and dates "
          "stay, without your name. So our counts stay right."),
        _("Did you not confirm your sign-up? Then we erase your data after %(days)s.",
          days=_days(retention.unconfirmed_days)),
        _("Emails we sent you: we erase your address and the text after %(days)s.",
          days=_days(retention.mail_days)),
        _("Files from the safety survey: we erase them after %(days)s.",
          days=_days(retention.upload_days)),
        _("The audit log: we erase each entry after %(days)s.",
          days=_days(retention.audit_days)),
    ]


def purposes() -> list[str]:
    return [
        _("To run the wijkpanels: invite residents, plan meetings, send invitations and "
          "reminders."),
        _("To hear what residents see in their wijk, and to tell them what the municipality "
          "did with it."),
        _("To keep the data safe, and to see who used it (the audit log)."),
    ]


def legal_bases() -> list[str]:
    return [
        _("Joining the panel: your consent (article 6, paragraph 1, under a of the AVG). You "
          "can withdraw it at any time by leaving the panel."),
        _("Running the panels, the meetings and the feedback: a public task of the "
          "municipality (article 6, paragraph 1, under e of the AVG)."),
    ]


def data_subjects() -> list[str]:
    return [
        _("Residents who join a wijkpanel, or who said in the safety survey that they want "
          "to join."),
        _("Staff of the municipality who work with this website."),
    ]


def data_categories() -> list[str]:
    return [
        _("Name and contact details: email address, phone number, address and postcode."),
        _("Your wijk and your language."),
        _("Your consent: which text, when and how you gave it."),
        _("What you tell us: help you need at a meeting, moments that suit you, your answers "
          "to invitations, what you raise about your wijk, and how you rate a meeting."),
        _("Whether you came to a meeting."),
        _("For staff: name, email address, role, sign-in times and the audit log, with IP "
          "addresses."),
    ]


def recipients() -> list[str]:
    return [
        _("Only staff of the municipality who work on the wijkpanels: the area team of your "
          "gebied and the administrators."),
        _("The council clerk's office sees numbers only, never names."),
        _("No one outside the municipality gets your data."),
    ]


def processors() -> list[str]:
    return [_("The mail service that delivers our emails. It works for the municipality under "
              "a processing agreement.")]


def security_measures() -> list[str]:
    return [
        _("Access by role: an area team sees only its own gebieden; the council clerk's office "
          "sees numbers only."),
        _("Personal links and letter codes are stored as hashes and expire."),
        _("Staff passwords are stored as hashes (scrypt)."),
        _("HTTPS only (HSTS), a strict Content Security Policy and no scripts from other "
          "websites."),
        _("An audit log of every view, export and change of personal data."),
        _("Logs without email addresses, phone numbers, postcodes or link codes."),
        _("Data is erased automatically after the retention periods."),
        _("Backups can be read by the service account only."),
    ]


def processing_register(today: date | None = None) -> dict[str, Any]:
    """The entry for the register of processing activities (AVG article 30, paragraph 1)."""
    facts = privacy_facts()
    retention = facts.retention
    return {
        "name": _("Wijkpanels for local safety"),
        "controller": {"name": facts.controller, "privacy_contact": facts.privacy_contact,
                       "data_protection_officer": facts.dpo_contact},
        "purposes": purposes(),
        "legal_basis": legal_bases(),
        "data_subjects": data_subjects(),
        "personal_data": data_categories(),
        "source": _("The residents themselves, and the research bureau of the safety survey "
                    "for residents who said there that they want to join."),
        "recipients": recipients(),
        "processors": processors(),
        "transfers_outside_eea": _("None."),
        "retention": retention_lines(retention),
        "retention_days": {"unconfirmed": retention.unconfirmed_days,
                           "mail": retention.mail_days, "uploads": retention.upload_days,
                           "audit_log": retention.audit_days, "after_leaving": 0},
        "security_measures": security_measures(),
        "generated_on": (today or date.today()).isoformat(),
    }


def register_labels() -> dict[str, str]:
    """The field names of the register, for people (the CSV file)."""
    return {
        "name": _("Name of the processing"),
        "controller": _("Controller"),
        "privacy_contact": _("Privacy contact"),
        "data_protection_officer": _("Data protection officer"),
        "purposes": _("Purposes"),
        "legal_basis": _("Legal basis"),
        "data_subjects": _("Categories of data subjects"),
        "personal_data": _("Categories of personal data"),
        "source": _("Source"),
        "recipients": _("Recipients"),
        "processors": _("Processors"),
        "transfers_outside_eea": _("Transfers outside the EEA"),
        "retention": _("Retention periods"),
        "retention_days": _("Retention in days"),
        "security_measures": _("Security measures"),
        "generated_on": _("Made on"),
    }


def register_rows(entry: dict[str, Any]) -> list[tuple[str, str]]:
    """``processing_register()`` flattened to (field, value) rows: one row per list item."""
    labels = register_labels()
    rows: list[tuple[str, str]] = []
    for key, value in entry.items():
        if key == "controller":
            for sub_key, sub_value in value.items():
                label = labels["controller"] if sub_key == "name" else labels[sub_key]
                rows.append((label, str(sub_value)))
        elif key == "retention_days":
            rows += [(labels[key], f"{name}: {days}") for name, days in value.items()]
        elif isinstance(value, list):
            rows += [(labels[key], str(item)) for item in value]
        else:
            rows.append((labels[key], str(value)))
    return rows
