"""The words for the domain's values (event kinds, statuses), as message ids of the catalogs:
pages, CSV files and feeds show them in the reader's language, never the enum's name."""

from __future__ import annotations

from api.infra.i18n import gettext


def _(message: str) -> str:
    """Marks a message id for extraction; translated when shown."""
    return message


KIND_LABELS: dict[str, str] = {
    "HAIRCUT": _("Free haircuts"),
    "CLINIC": _("Health clinic"),
    "FIRE_DRILL": _("Fire drill"),
    "LEGAL_AID": _("Legal aid"),
    "ANTI_FRAUD": _("Anti-fraud talk"),
    "TUTORING": _("Tutoring"),
    "REPAIR": _("Repairs"),
    "CLEANUP": _("Clean-up"),
    "PATROL": _("Patrol"),
    "MEETING": _("Meeting"),
    "OTHER": _("Other"),
}
STATUS_LABELS: dict[str, str] = {
    "CONFIRMED": _("Signed up"),
    "WAITLISTED": _("On the waitlist"),
    "CANCELLED": _("Cancelled"),
    "ATTENDED": _("Attended"),
    "NO_SHOW": _("Did not come"),
    "DRAFT": _("Draft"),
    "PUBLISHED": _("Open"),
    "COMPLETED": _("Finished"),
}


def kind_label(kind: str, language: str | None = None) -> str:
    return gettext(KIND_LABELS.get(str(kind), KIND_LABELS["OTHER"]), language)


def status_label(status: str, language: str | None = None) -> str:
    return gettext(STATUS_LABELS.get(str(status), str(status)), language)
