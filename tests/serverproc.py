"""Split into `tests/support/` (server, databases, seeding, client, storm, checks); this module
re-exports the old names for existing imports."""

from tests.support.checks import SHIFT_STATE, ShiftRows, shift_rows, shift_state
from tests.support.client import cookie_for, graphql, http_client
from tests.support.databases import fresh_database
from tests.support.seeding import StormSetup, seed_storm
from tests.support.server import SECRET_KEY_DEFAULT, LinliServer, ServerError, free_port
from tests.support.storm import (
    CANCEL,
    SIGN_UP,
    Answer,
    StormResult,
    pk_of,
    post_sign_up,
    sign_up_storm,
)

__all__ = [
    "CANCEL",
    "SECRET_KEY_DEFAULT",
    "SHIFT_STATE",
    "SIGN_UP",
    "Answer",
    "LinliServer",
    "ServerError",
    "ShiftRows",
    "StormResult",
    "StormSetup",
    "cookie_for",
    "free_port",
    "fresh_database",
    "graphql",
    "http_client",
    "pk_of",
    "post_sign_up",
    "seed_storm",
    "shift_rows",
    "shift_state",
    "sign_up_storm",
]
