"""`GET /api/v1/openapi.json`: the API described in OpenAPI 3.1, written by hand next to the
endpoints it names; tests/test_api_read.py checks that it names every endpoint of the API
and nothing else."""

from flask import jsonify

from app.api import bp

_PERIOD = [
    {"name": "unit", "in": "query", "schema": {"type": "integer"},
     "description": "the unit to report on (default: the key's unit); outside the key's "
                    "subtree: 404"},
    {"name": "period", "in": "query",
     "schema": {"enum": ["campaign", "month", "week", "custom"], "default": "campaign"}},
    {"name": "month", "in": "query", "schema": {"type": "string", "example": "2026-11"}},
    {"name": "week", "in": "query", "schema": {"type": "string", "example": "2026-W47"}},
    {"name": "start", "in": "query", "schema": {"type": "string", "format": "date"}},
    {"name": "end", "in": "query", "schema": {"type": "string", "format": "date"}},
]
_CAMPAIGN = {"name": "campaign_id", "in": "path", "required": True,
             "schema": {"type": "integer"}}
_ROW = {"type": "object", "description": (
    "One row of the dashboard. `response_rate`, `target`, `satisfaction` in percent (two "
    "decimals); `satisfaction` and its interval are null where fewer than `k` answers are "
    "released (`suppressed`: the page's \"< 5 phiếu\"). `status`: met, below, no_data, or "
    "review (days pending review, left out of every figure)."),
    "properties": {name: {"type": kind} for name, kind in (
        ("kind", "string"), ("id", "integer"), ("code", "string"), ("name", "string"),
        ("parent", ["string", "null"]), ("eligible", "integer"), ("responses", "integer"),
        ("untallied_responses", "integer"), ("response_rate", ["number", "null"]),
        ("target", "number"), ("status", "string"),
        ("responses_needed", ["integer", "null"]), ("pending_days", "integer"),
        ("response_rate_with_pending", ["number", "null"]), ("suppressed", "boolean"),
        ("released_answers", "integer"), ("satisfaction", ["number", "null"]),
        ("satisfaction_interval", ["array", "null"]))}}
_ERRORS = {"401": {"description": "no key, or not a key for this purpose"},
           "404": {"description": "not there, or outside the key's subtree"},
           "429": {"description": "too many requests for this key (API_RATE_LIMIT)"}}


def _get(summary: str, purpose: str, body: dict, parameters=(), csv: bool = False) -> dict:
    content = {"application/json": {"schema": body}}
    if csv:
        content = {"text/csv": {"schema": {"type": "string"}}}
    return {"get": {"summary": summary, "description": f"Needs a key for “{purpose}”.",
                    "parameters": list(parameters),
                    "responses": {"200": {"description": "OK", "content": content},
                                  **_ERRORS}}}


def document() -> dict:
    figures = {"type": "object", "properties": {
        "campaign": {"type": "object"}, "period": {"type": "object"}, "k": {"type": "integer"},
        "top": _ROW, "units": {"type": "array", "items": _ROW},
        "counters": {"type": "array", "items": _ROW}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "khaosat API", "version": "1",
                 "description": "Keys are made by an admin on the Khoá API page, for one purpose "
                                "and one unit's subtree; send `Authorization: Bearer <key>`."},
        "components": {"securitySchemes": {"key": {"type": "http", "scheme": "bearer"}}},
        "security": [{"key": []}],
        "paths": {
            "/api/v1/campaigns": _get("Campaigns covering the key's subtree", "reports",
                                      {"type": "object"}),
            "/api/v1/units": _get("The key's unit and every unit below it", "reports",
                                  {"type": "object"}),
            "/api/v1/campaigns/{campaign_id}/figures": _get(
                "The dashboard's rows: the top unit, each unit below it, each counter",
                "reports", figures, [_CAMPAIGN, *_PERIOD]),
            "/api/v1/campaigns/{campaign_id}/figures.csv": _get(
                "The same rows as the dashboard's CSV export", "reports", {},
                [_CAMPAIGN, *_PERIOD], csv=True),
            "/api/v1/campaigns/{campaign_id}/weeks": _get(
                "The top unit's weekly series", "reports", {"type": "object"},
                [_CAMPAIGN, *_PERIOD]),
            "/api/v1/campaigns/{campaign_id}/funnel": _get(
                "The top unit's survey funnel", "reports", {"type": "object"},
                [_CAMPAIGN, *_PERIOD]),
            "/api/v1/invitation-batches/{batch_id}": _get(
                "An invitation batch's progress, in counts", "invitations",
                {"type": "object"},
                [{"name": "batch_id", "in": "path", "required": True,
                  "schema": {"type": "string"}}]),
            "/api/v1/returned-dossiers": {"post": {
                "summary": "Invite the citizens of returned dossiers (\"preview\": true sends "
                           "nothing)",
                "description": "Needs a key for “invitations”.",
                "requestBody": {"content": {"application/json": {"schema": {
                    "type": "object", "properties": {
                        "preview": {"type": "boolean"},
                        "dossiers": {"type": "array", "items": {"type": "object"}}}}}}},
                "responses": {"200": {"description": "a preview, or nothing to send"},
                              "201": {"description": "a batch made and queued"},
                              "400": {"description": "not the JSON asked for"},
                              "413": {"description": "more dossiers than API_MAX_DOSSIERS"},
                              **_ERRORS}}},
        },
    }


@bp.route("/openapi.json")
def openapi():
    """The API's description; no key needed to read it."""
    return jsonify(document())
