"""What is still missing before residents can join: the administrator's setup checklist
on the start page. It reads areas, signups, results, auth and mail, so it sits on top of
them; no domain imports it (the start page gets it through ``auth.dashboard_parts``)."""
