"""OVHcloud's SMS API: signed requests, jobs, delivery reports."""
