"""A person's own settings: the language of their notices, reminders, SMS and feeds."""

from __future__ import annotations

from api.domain.actors import Actor
from api.infra.i18n import LANGUAGES
from api.models import Volunteer


async def set_language(actor: Actor, language: str) -> bool:
    """Remembers the language the actor chose (zh-CN or en); False for anyone anonymous or a
    language we do not speak."""
    if actor.volunteer is None or language not in LANGUAGES:
        return False
    await Volunteer.filter(id=actor.volunteer.id).update(language=language)
    actor.volunteer.language = language
    return True
