"""Names of statuses, partners, sources and kinds of personal data as residents and staff
read them.

An action's status and its due date are worded apart: an action that is finished is
"Completed" ("Afgerond"), and its date is "Due by" ("Klaar vóór"), so that a finished
action never reads as if it finishes on a date still to come.
"""

from collections.abc import Iterable

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from panel.feedback import personal_data
from panel.feedback.models import ActionStatus, ItemStatus, Source

ITEM_STATUS_LABELS = {
    ItemStatus.NEW.value: _l("New"), ItemStatus.HANDLING.value: _l("Being handled"),
    ItemStatus.PASSED_ON.value: _l("Passed to a partner"),
    ItemStatus.DONE.value: _l("Completed"), ItemStatus.DECLINED.value: _l("Not taken up"),
}
ACTION_STATUS_LABELS = {
    ActionStatus.PLANNED.value: _l("Planned"), ActionStatus.IN_PROGRESS.value: _l("In progress"),
    ActionStatus.DONE.value: _l("Completed"), ActionStatus.STOPPED.value: _l("Stopped"),
}
PARTNER_LABELS = {
    "police": _l("Police"), "enforcement": _l("Enforcement (BOA)"),
    "youth_work": _l("Youth work"), "housing": _l("Housing corporation"),
    "other": _l("Other partner"),
}
SOURCE_LABELS = {Source.RESIDENT.value: _l("A resident"),
                 Source.MEETING.value: _l("Raised at a meeting")}
PERSONAL_DATA_LABELS = {
    personal_data.NAME: _l("name"), personal_data.ADDRESS: _l("address"),
    personal_data.POSTCODE: _l("postcode"), personal_data.PHONE: _l("phone number"),
    personal_data.EMAIL: _l("email address"),
}


def _joined(kinds: tuple[str, ...]) -> str:
    return ", ".join(str(PERSONAL_DATA_LABELS[kind]) for kind in kinds)


def personal_data_names(kinds: Iterable[str]) -> LazyString:
    """The kinds of personal data found ("name, phone number"), in the language of the
    page that shows them."""
    return LazyString(_joined, tuple(kinds))
