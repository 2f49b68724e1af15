"""The read-only open-data API under ``/api/v1``, following the Dutch API Design Rules.

Everything it returns is already public on the website: areas, indicators, published survey
results (small counts suppressed), public meetings, checked feedback and finalised motion
reports. It never returns anything about residents.
"""
