"""The pilot's exclusion rules (who this survey is not for) and what a submitted form comes to.

Only dossiers submitted in person whose result was returned later at a counter are surveyed;
online and postal submissions and immediate-return procedures are screened out.
"""

CHANNEL_IN_PERSON = "in_person"
CHANNEL_ONLINE = "online"
CHANNEL_POSTAL = "postal"

# Screen-out reasons, named after the funnel columns they count in.
REASON_ONLINE = "screened_online"
REASON_POSTAL = "screened_postal"
REASON_IMMEDIATE = "screened_immediate"
REASONS = (REASON_ONLINE, REASON_POSTAL, REASON_IMMEDIATE)


def screen_out_reason(*, channel: str, immediate: str) -> str | None:
    """Return why this case is not surveyed, or None when it is eligible.

    The submission channel is asked first, so a case both online and immediate counts as online.
    """
    if channel == CHANNEL_ONLINE:
        return REASON_ONLINE
    if channel == CHANNEL_POSTAL:
        return REASON_POSTAL
    if immediate == "yes":
        return REASON_IMMEDIATE
    return None


# What a submitted form can come to (the funnel's last steps).
OUTCOME_DECLINED = "declined"
OUTCOME_COMPLETED = "completed"


def outcome_of(*, declined: bool, screening_valid: bool, channel: str | None,
               immediate: str | None, answers_valid: bool) -> str | None:
    """What a submitted form comes to; None when it must go back to the citizen to fix.

    The order is the rule: "Không tham gia" counts as a decline whatever else was filled in;
    the screening questions come next, and a case screened out is counted without its ratings
    being checked (they were hidden); only an eligible case needs valid ratings.
    """
    if declined:
        return OUTCOME_DECLINED
    if not screening_valid:
        return None
    reason = screen_out_reason(channel=channel, immediate=immediate)
    if reason:
        return reason
    return OUTCOME_COMPLETED if answers_valid else None
