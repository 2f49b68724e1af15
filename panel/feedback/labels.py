"""Names of statuses, partners and sources as residents and staff read them."""

from flask_babel import lazy_gettext as _l

from panel.feedback.models import ActionStatus, ItemStatus, Source

ITEM_STATUS_LABELS = {
    ItemStatus.NEW.value: _l("New"), ItemStatus.HANDLING.value: _l("Being handled"),
    ItemStatus.PASSED_ON.value: _l("Passed to a partner"), ItemStatus.DONE.value: _l("Done"),
    ItemStatus.DECLINED.value: _l("Not taken up"),
}
ACTION_STATUS_LABELS = {
    ActionStatus.PLANNED.value: _l("Planned"), ActionStatus.IN_PROGRESS.value: _l("In progress"),
    ActionStatus.DONE.value: _l("Done"), ActionStatus.STOPPED.value: _l("Stopped"),
}
PARTNER_LABELS = {
    "police": _l("Police"), "enforcement": _l("Enforcement (BOA)"),
    "youth_work": _l("Youth work"), "housing": _l("Housing corporation"),
    "other": _l("Other partner"),
}
SOURCE_LABELS = {Source.RESIDENT.value: _l("A resident"),
                 Source.MEETING.value: _l("Raised at a meeting")}
