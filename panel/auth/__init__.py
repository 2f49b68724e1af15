"""Staff accounts, roles, area scoping and login."""
