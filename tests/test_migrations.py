"""The schema that migrations build is the schema the models describe, on either database."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_go_down_and_up_again(app):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    with app.app_context():
        downgrade(revision="base")
        assert "response" not in inspect(db.engine).get_table_names()
        upgrade()
        assert "response" in inspect(db.engine).get_table_names()


def test_audit_events_written_before_0003_get_the_unit_of_their_object(app):
    """Migration 0003 files existing events under the unit of what they changed."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    rows = [
        "INSERT INTO unit (id, parent_id, kind, code, name, path, active) VALUES "
        "(900001, NULL, 'province', 'P', 'Tỉnh', '/900001/', TRUE), "
        "(900002, 900001, 'commune', 'X', 'Xã', '/900001/900002/', TRUE)",
        "INSERT INTO counter (id, unit_id, name, code, active) VALUES "
        "(900003, 900002, 'Quầy', 'NEWCODE1', TRUE)",
        "INSERT INTO retired_code (code, counter_id, retired_on) VALUES "
        "('OLDCODE1', 900003, '2026-11-01')",
        "INSERT INTO user_account (id, username, password_hash, role, unit_id, active, "
        "session_version, created_at) VALUES "
        "(900004, 'lan', 'x', 'clerk', 900002, TRUE, 1, '2026-11-01 00:00:00+00')",
        "INSERT INTO audit_event (id, at, actor, action, object_type, object_id) VALUES "
        "(900011, '2026-11-01 00:00:00+00', 'cli', 'create', 'unit', '900002'), "
        "(900012, '2026-11-01 00:00:00+00', 'cli', 'create', 'counter', '900003'), "
        "(900013, '2026-11-01 00:00:00+00', 'cli', 'create', 'user', '900004'), "
        "(900014, '2026-11-01 00:00:00+00', 'lan', 'record', 'tally', 'OLDCODE1/2026-11-01'), "
        "(900015, '2026-11-01 00:00:00+00', 'lan', 'record', 'tally', 'NEWCODE1/2026-11-02'), "
        "(900016, '2026-11-01 00:00:00+00', 'cli', 'import', 'tally', 'export.csv')",
    ]
    with app.app_context():
        downgrade(revision="0002")
        with db.engine.begin() as conn:
            for statement in rows:
                conn.execute(text(statement))
        upgrade()
        with db.engine.connect() as conn:
            units = dict(conn.execute(text(
                "SELECT id, unit_id FROM audit_event WHERE id > 900010")).all())
    assert units == {900011: 900002, 900012: 900002, 900013: 900002, 900014: 900002,
                     900015: 900002, 900016: None}


def test_columns_added_to_tables_with_rows_pointing_at_them_keep_those_rows(app):
    """0020 and 0021 add columns to `response` and `campaign`, which `answer` and
    `campaign_target` point at: on SQLite they must be added in place (a copy of the table
    would fail on its foreign keys), and the rows read as false."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    rows = [
        "INSERT INTO unit (id, parent_id, kind, code, name, path, active) VALUES "
        "(900001, NULL, 'province', 'P', 'Tỉnh', '/900001/', TRUE)",
        "INSERT INTO counter (id, unit_id, name, code, active) VALUES "
        "(900003, 900001, 'Quầy', 'NEWCODE1', TRUE)",
        "INSERT INTO questionnaire (id, code, version, title, definition) VALUES "
        "(900005, 'q', 1, 'Q', '{}')",
        "INSERT INTO campaign (id, name, unit_id, questionnaire_id, starts_on, ends_on, "
        "target_rate, status, sms_sent) VALUES "
        "(900006, 'Đợt', 900001, 900005, '2026-11-01', '2026-12-31', 30, 'active', 0)",
        "INSERT INTO campaign_target (campaign_id, unit_id, target_rate) VALUES "
        "(900006, 900001, 40)",
        "INSERT INTO response (id, counter_id, campaign_id, questionnaire_id, submitted_on) "
        "VALUES ('00000000000000000000000000000001', 900003, 900006, 900005, '2026-11-02')",
        "INSERT INTO answer (response_id, question_key, value) VALUES "
        "('00000000000000000000000000000001', 'overall', 5)",
    ]
    with app.app_context():
        downgrade(revision="0019")
        with db.engine.begin() as conn:
            for statement in rows:
                conn.execute(text(statement))
        upgrade()
        with db.engine.connect() as conn:
            invited = conn.execute(text("SELECT invited FROM response")).scalar_one()
            published = conn.execute(text(
                "SELECT published, publish_counters FROM campaign")).one()
            answers = conn.execute(text("SELECT count(*) FROM answer")).scalar_one()
    assert (bool(invited), tuple(map(bool, published)), answers) == (False, (False, False), 1)
