"""What the resident's own page shows: their membership (signups), the meetings they were
invited to (meetings) and the meetings they may rate (feedback), composed here so that the
lower domains do not need to know about each other."""

from __future__ import annotations

from dataclasses import dataclass

from panel.feedback import services as feedback_services
from panel.feedback.models import Evaluation
from panel.meetings import services as meeting_services
from panel.signups import services as signups
from panel.signups.models import Consent, ConsentStatement, MemberStatus, PanelMember


@dataclass(frozen=True)
class MyPage:
    member: PanelMember
    statement: ConsentStatement  # the text the resident agrees to when confirming now
    consent: Consent | None
    meetings: list[meeting_services.MyMeeting]
    evaluations: list[Evaluation]

    @property
    def must_confirm(self) -> bool:
        """The resident opened their page (with a letter's code) before confirming."""
        return self.member.status != MemberStatus.MEMBER


def my_page(member: PanelMember) -> MyPage:
    """Everything the resident's own page shows. Raises DomainError when there is no
    consent statement yet."""
    return MyPage(member=member, statement=signups.current_statement(),
                  consent=signups.active_consent(member),
                  meetings=meeting_services.my_meetings(member),
                  evaluations=feedback_services.open_evaluations(member))
