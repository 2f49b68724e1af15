"""Imports every domain's models so that the metadata knows all tables (for Alembic and
for tests). Nothing else belongs here."""

from panel.areas.models import Area, Boundary, District, Municipality, Neighbourhood
from panel.auth.models import PasswordLink, RecoveryCode, User, user_area
from panel.feedback.models import (
    Action,
    ActionUpdate,
    Evaluation,
    FeedbackItem,
    Notification,
    Theme,
    action_item,
    action_meeting,
)
from panel.later import DeferredJob
from panel.mail.models import OutboxMessage
from panel.meetings.models import (
    Invitation,
    Meeting,
    PollSlot,
    PollVote,
    Reply,
    meeting_neighbourhood,
    meeting_staff,
)
from panel.motions.models import (
    FollowUpReport,
    Motion,
    MotionRequest,
    motion_area,
    motion_neighbourhood,
    motion_theme,
)
from panel.privacy.models import AuditEvent
from panel.results.models import Edition, Indicator, Result
from panel.signups.models import (
    Consent,
    ConsentStatement,
    ImportRecord,
    MemberLink,
    PanelMember,
    Postcode,
)
from panel.worklist.models import WeeklyWorkList

__all__ = ["Action", "ActionUpdate", "Area", "AuditEvent", "Consent", "ConsentStatement",
           "District", "Edition", "Evaluation", "FeedbackItem", "FollowUpReport", "ImportRecord",
           "Indicator", "Invitation", "Meeting", "MemberLink", "Motion", "MotionRequest",
           "Municipality", "Neighbourhood", "Notification", "OutboxMessage", "PanelMember",
           "PasswordLink", "PollSlot", "PollVote", "Postcode", "RecoveryCode", "Reply", "Result",
           "Theme", "User", "action_item", "action_meeting", "meeting_neighbourhood",
           "meeting_staff", "motion_area", "motion_neighbourhood", "motion_theme", "user_area",
           "Boundary", "DeferredJob", "WeeklyWorkList"]
