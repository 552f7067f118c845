"""One message out through the SMTP server MAIL_* names (STARTTLS unless MAIL_USE_TLS is
off); without MAIL_SERVER (development), written to standard output instead."""

import smtplib
import ssl
import sys
from email.message import EmailMessage

from flask import current_app


def deliver(message: EmailMessage) -> str:
    """Send `message`; return how ("smtp" or "console")."""
    config = current_app.config
    if not config["MAIL_SERVER"]:
        sys.stdout.write(f"[mail, not sent: MAIL_SERVER is not set]\n{message}\n")
        return "console"
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"],
                      timeout=config["MAIL_TIMEOUT"]) as smtp:
        if config["MAIL_USE_TLS"]:
            # The server's certificate is checked (against MAIL_CA_FILE for a private CA).
            smtp.starttls(context=ssl.create_default_context(
                cafile=config["MAIL_CA_FILE"] or None))
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
    return "smtp"
