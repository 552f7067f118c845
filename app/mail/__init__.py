"""Digests and alerts by email: what each subscribed account is told, for its own scope
(compose.py, from the reports' own rows), sent through SMTP (smtp.py), once (run.py: `flask
send-digests`, `flask send-alerts`). No figure the dashboard would hide, no comment, nothing
of a citizen."""
