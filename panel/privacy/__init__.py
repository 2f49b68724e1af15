"""Privacy: retention periods and erasure of personal data that is no longer needed."""
