"""Operator commands under `flask --app wsgi ...`; they call the same functions as the pages.

The operator works on the whole tree (scope WHOLE_TREE) and is audited as "cli"; each command
commits once, at its end, like a page does.
"""

import os
import sys
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import delete, func, select

from app.auth.scope import WHOLE_TREE, counters_in_scope
from app.clock import local_today
from app.db_setup import transaction
from app.domain import DomainError
from app.domain.org import survey_url
from app.extensions import db
from app.models import Counter, UsedTicket
from app.models.staff import ROLES
from app.printing.render import layouts


def register(app: Flask) -> None:
    """Attach the commands to the app's CLI group."""
    for command in (seed_demo, create_user, load_questionnaires, list_counters, purge_tickets,
                    move_answers, print_stickers, print_job, reissue_code, import_tallies,
                    rebuild_rollups, sum_weeks, export_report, run_jobs, send_digests,
                    send_alerts):
        app.cli.add_command(command)


@click.command("seed-demo")
@with_appcontext
@click.option("--history-days", default=60, show_default=True, type=click.IntRange(0, 400),
              help="days of past tallies and answers to invent (0: none)")
def seed_demo(history_days: int) -> None:
    """Fill an empty database with a demo province, counters, an active campaign and history."""
    from app.demo import seed_demo as seed

    with transaction():
        created = seed(history_days=history_days)
    if created and history_days:  # as the `sum-weeks` cron would have, over those weeks
        _sum_weeks()
    click.echo("Demo data created." if created else "Demo data already present; nothing added.")
    if current_app.config["KHAOSAT_ENV"] == "development":
        from app.demo import DEMO_PASSWORD, DEMO_USERS

        click.echo(f"Demo staff logins (password '{DEMO_PASSWORD}', development only): "
                   + ", ".join(f"{name} ({role})" for name, role, _unit in DEMO_USERS))


@click.command("load-questionnaires")
@with_appcontext
def load_questionnaires() -> None:
    """Load new questionnaire versions from app/questionnaires/ into the database."""
    from app.domain.questionnaires import QuestionnaireError, load_all

    try:
        with transaction():
            report = load_all()
    except QuestionnaireError as exc:
        raise click.ClickException(str(exc)) from exc
    for code, version, status in report:
        click.echo(f"{code} v{version}: {status}")


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="admin, manager or clerk")
@click.option("--unit", "unit_code", required=True, help="code of the unit the account covers")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def create_user(username: str, role: str, unit_code: str, password_stdin: bool) -> None:
    """Create a staff account scoped to a unit and everything below it."""
    from app.domain.accounts import create_user as create
    from app.domain.accounts import unit_by_code

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with transaction():
            user = create(username=username, role=role, unit=unit_by_code(unit_code),
                          password=password, actor="cli")
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {user.role} '{user.username}' for unit {unit_code}.")


@click.command("list-counters")
@with_appcontext
@click.option("--unit", "unit_code", help="only this unit and the units below it")
def list_counters(unit_code: str | None) -> None:
    """Print every live counter with the survey URL its sticker encodes."""
    from app.printing.selection import SelectionError, counters_to_print

    try:
        counters = counters_to_print(WHOLE_TREE, unit_code=unit_code)
    except SelectionError as exc:
        raise click.ClickException(f"No unit with code {unit_code}.") from exc
    for counter in counters:
        click.echo(f"{survey_url(counter.code)}  {counter.unit.name} – {counter.name}")


@click.command("purge-tickets")
@with_appcontext
@click.option("--days", default=2, show_default=True, help="keep tickets this many days")
def purge_tickets(days: int) -> None:
    """Delete old double-submit tickets, and invitations' links and keys that can no longer
    be used (run daily, e.g. from cron)."""
    from app.domain.invitations import purge_old

    config = current_app.config
    # An invitation's answer is kept under its return day, and its link may answer until
    # RETURNED_WITHIN + VALID days after it: its ticket must outlive that, or it answers twice.
    days = max(days, config["INVITATION_RETURNED_WITHIN_DAYS"] + config["INVITATION_VALID_DAYS"])
    cutoff = local_today() - timedelta(days=days)
    with transaction():
        result = db.session.execute(delete(UsedTicket).where(UsedTicket.used_on < cutoff))
        links, keys = purge_old(local_today())
    click.echo(f"Deleted {result.rowcount} tickets older than {cutoff.isoformat()}, "
               f"{links} invitation links expired long ago, {keys} dossier keys.")


@click.command("move-answers")
@with_appcontext
def move_answers() -> None:
    """Move the survey's inbox into the responses if a move is due (run from cron, e.g. every
    15 minutes, so quiet hours' answers reach the reports too)."""
    from app.domain import inbox

    moved = inbox.move_due()
    click.echo(f"{moved} answers moved; {inbox.waiting()} wait for the next move.")


@click.command("run-jobs")
@with_appcontext
@click.option("--burst", is_flag=True, help="stop once the queue is empty")
def run_jobs(burst: bool) -> None:
    """Work the job queue (JOB_QUEUE_URL): send the invitations' texts as they come due. Run
    one or more under a process supervisor, next to gunicorn."""
    from app.jobs import run_worker

    if not current_app.config["JOB_QUEUE_URL"]:
        raise click.ClickException("JOB_QUEUE_URL is not set: without a queue, texts are sent "
                                   "in the request (development) and no worker is needed.")
    run_worker(burst=burst)


@click.command("print-stickers")
@click.option("--unit", "unit_code", help="this unit and the units below it (default: all)")
@click.option("--counter", "counter_codes", multiple=True, help="only this counter (repeatable)")
@click.option("--layout", default="a4-2x4", show_default=True,
              type=click.Choice(list(layouts())))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="PDF file to write")
@with_appcontext
def print_stickers(unit_code, counter_codes, layout, output) -> None:
    """Write a PDF of QR stickers for the chosen counters."""
    from app.printing.render import print_stickers as print_run
    from app.printing.selection import SelectionError, counters_to_print

    try:
        counters = counters_to_print(WHOLE_TREE, unit_code=unit_code,
                                     counter_codes=counter_codes)
    except SelectionError as exc:
        raise click.ClickException(str(exc)) from exc
    if not counters:
        raise click.ClickException("No live counter to print.")
    with transaction():  # with the QR codes encoded for this print (app/qr.py)
        result = print_run(counters, layouts()[layout], today=local_today(),
                           workers=os.cpu_count() or 1)
    path = output or f"stickers-{layout}-{result.run.id}.pdf"
    with open(path, "wb") as fh:
        fh.write(result.pdf)
    stickers = f"{result.stickers} sticker{'s' * (result.stickers != 1)}"
    sheets = f"{result.sheets} sheet{'s' * (result.sheets != 1)}"
    click.echo(f"Wrote {stickers} on {sheets} ({layout}, print run {result.run.id}) to {path}.")


@click.command("print-job")
@click.argument("job_id")
@with_appcontext
def print_job(job_id) -> None:
    """Make the PDF of a large print started on the stickers page (the app runs this itself,
    at lower priority; app/printing/jobs.py)."""
    from app.printing.jobs import run

    try:
        job = run(job_id)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Print job {job_id}: {len(job.counter_ids)} stickers ready.")


@click.command("reissue-code")
@click.argument("code")
@with_appcontext
def reissue_code(code: str) -> None:
    """Retire a counter's code and give it a new one (then reprint its sticker)."""
    from app.domain.org import find_by_public_code
    from app.domain.org import reissue_code as reissue

    counter, _ = find_by_public_code(code)
    if counter is None:
        raise click.ClickException(f"No live counter has the code {code}.")
    old = counter.code
    with transaction():
        new = reissue(counter, actor="cli", today=local_today())
    click.echo(f"{counter.name}: {old} retired, new code {new} ({survey_url(new)}).")


@click.command("import-tallies")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_tallies(path: str) -> None:
    """Import eligible-return tallies from the one-stop system's CSV or XLSX export."""
    from app.domain import RowsRejected
    from app.domain.tallies import import_tallies as run_import
    from app.staff.tally_files import read_tally_file

    counters = {c.code: c for c in
                db.session.scalars(counters_in_scope(WHOLE_TREE).where(Counter.active))}
    filename = os.path.basename(path)
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        rows = read_tally_file(data, filename)
        with transaction():
            result = run_import(rows, filename=filename, counters=counters, scope=None,
                                actor="cli", today=local_today())
    except RowsRejected as exc:
        for row, reason in exc.problems:
            click.echo(f"row {row}: {reason}" if row else reason, err=True)
        raise click.ClickException("Nothing imported: the file was rejected.") from exc
    click.echo(f"Imported {path}: {result.added} rows added, {result.replaced} replaced.")


@click.command("rebuild-rollups")
@with_appcontext
def rebuild_rollups() -> None:
    """Recount the reports' daily roll-ups from the stored responses (after a repair by hand)."""
    from app.domain.rollups import rebuild_rollups as rebuild

    with transaction():
        days = rebuild()
    click.echo(f"Recounted the roll-ups: {days} counter-days hold responses.")


@click.command("export-report")
@click.option("--campaign", "campaign_id", type=int, help="campaign id (default: the active one)")
@click.option("--unit", "unit_code", help="report on this unit's subtree (default: the campaign's)")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="first day, YYYY-MM-DD")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="last day, YYYY-MM-DD")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv", "pdf"]), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
@with_appcontext
def export_report(campaign_id, unit_code, start, end, fmt, output) -> None:
    """Write the report (figures, charts, comments) as XLSX, CSV or PDF, e.g. from a weekly cron."""
    from app.reports.cli import ReportChoiceError, write_report

    try:
        summary = write_report(campaign_id=campaign_id, unit_code=unit_code,
                               start=start.date() if start else None,
                               end=end.date() if end else None, fmt=fmt, path=output)
    except ReportChoiceError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(summary)


@click.command("sum-weeks")
@with_appcontext
def sum_weeks() -> None:
    """Sum every settled week of every started campaign for the reports (cron, e.g. hourly:
    reports read a week not summed yet from the daily rows, the same figures but slower)."""
    summed, total = _sum_weeks()
    click.echo(f"{summed} campaign weeks summed now; {total} are summed in all.")


def _sum_weeks() -> tuple[int, int]:
    """Move what waits in the survey's inbox, then sum every settled week (domain/weeks.py)."""
    from app.clock import local_now
    from app.domain import inbox
    from app.domain.quarantine import hold_found
    from app.domain.weeks import monday, sum_settled
    from app.models import Campaign, RolledWeek

    inbox.move_due(force=True)  # a settled week's last answers may still wait there
    with transaction():  # flagged days nothing held yet (an upgrade's): pending review
        hold_found()
    summed = 0
    k = current_app.config["SUPPRESSION_K"]
    for campaign in db.session.scalars(select(Campaign).where(Campaign.status != "draft")):
        summed += len(sum_settled(campaign, monday(campaign.ends_on), local_now(), k))
    db.session.rollback()  # only read in this session; every week was committed on its own
    return summed, db.session.scalar(select(func.count()).select_from(RolledWeek))


@click.command("send-digests")
@with_appcontext
def send_digests() -> None:
    """Send this week's digest to each account that chose it (cron, Monday morning); run
    twice, it sends once. Without MAIL_SERVER the messages are printed, not sent."""
    from app.clock import local_today
    from app.mail.run import send_digests as send

    result = send(local_today())
    click.echo(f"{result.messages} digests sent, {result.skipped} sent already this week.")


@click.command("send-alerts")
@with_appcontext
def send_alerts() -> None:
    """Send today's alerts (pace, days pending review, pressure reports, satisfaction) to the
    accounts that chose them, at most one of each kind a day (cron, e.g. each morning)."""
    from app.clock import local_today
    from app.mail.run import send_alerts as send

    result = send(local_today())
    click.echo(f"{result.messages} alerts sent, {result.skipped} sent already today.")

