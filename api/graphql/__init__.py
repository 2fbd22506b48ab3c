"""The GraphQL API (Strawberry): thin adapters from the schema to `api.domain`."""
