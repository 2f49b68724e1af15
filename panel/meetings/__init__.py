"""Meetings (bijeenkomsten) per gebied: planning, date polls, invitations, replies with
limited places and a waitlist, reminders, attendance and calendar files."""
