"""Panel members: survey import, online joining, consent, letters and the resident's page."""
