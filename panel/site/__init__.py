"""Public pages that belong to no single domain: home, language choice, statements, health."""
