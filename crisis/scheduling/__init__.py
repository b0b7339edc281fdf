"""APScheduler wiring. A job only posts a command to the bus."""
