"""The staff start page's work list: what needs doing now in the gebieden a staff member
works in, counted over meetings, members, feedback, actions and motions (so it sits on top
of those domains; the start page gets it through ``auth.dashboard_parts``), and the same
list as a weekly email for those who ask for it."""
