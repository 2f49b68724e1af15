"""Names of statuses, partners and sources as residents and staff read them."""

from flask_babel import lazy_gettext as _l

ITEM_STATUS_LABELS = {
    "new": _l("New"), "handling": _l("Being handled"), "passed_on": _l("Passed to a partner"),
    "done": _l("Done"), "declined": _l("Not taken up"),
}
ACTION_STATUS_LABELS = {
    "planned": _l("Planned"), "in_progress": _l("In progress"), "done": _l("Done"),
    "stopped": _l("Stopped"),
}
PARTNER_LABELS = {
    "police": _l("Police"), "enforcement": _l("Enforcement (BOA)"),
    "youth_work": _l("Youth work"), "housing": _l("Housing corporation"),
    "other": _l("Other partner"),
}
SOURCE_LABELS = {"resident": _l("A resident"), "meeting": _l("Raised at a meeting")}
