"""What the service publishes itself: the public feed and the CAP alerts."""
