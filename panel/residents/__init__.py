"""The resident's own page (/mijn): their data, their meetings and what they can tell the
area team. It sits on top of signups, meetings and feedback and composes them."""
