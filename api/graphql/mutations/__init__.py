"""Mutations, one module per area; each returns a payload with `userErrors`."""
