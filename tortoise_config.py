"""For Tortoise's own CLI: `tortoise -c tortoise_config.TORTOISE_ORM makemigrations`."""

from api.infra.db import tortoise_config

TORTOISE_ORM = tortoise_config()
