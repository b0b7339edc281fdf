"""What becomes of a delivery in the outbox."""

from __future__ import annotations


class DeliveryStatus:
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    ACCEPTED = "accepted"
    FAILED = "failed"
    REFUSED = "refused"
    CANCELLED = "cancelled"  # a call no longer needed: the page was acknowledged before it
