"""A second page before an irreversible click, without JavaScript.

A POST that cannot be undone (a new sticker code, closing a campaign, disabling an account or
a unit) goes through only with `confirmed=1`. Without it, the route answers with a page that
says what will happen, carries the same fields to the same address, and offers to go back.
"""

from flask import render_template, request

SKIPPED = ("csrf_token", "confirmed")


def ask_first(*, title: str, consequence: str, button: str, back: str):
    """None when the user has confirmed; else the confirmation page to return (200)."""
    if request.form.get("confirmed") == "1":
        return None
    fields = [(name, value) for name, values in request.form.lists() if name not in SKIPPED
              for value in values]
    return render_template("confirm.html", title=title, consequence=consequence,
                           button=button, back=back, action=request.full_path.rstrip("?"),
                           fields=fields)
