"""Council motions, their follow-up reports to the council, and the exports of those."""
