"""The demo neighbourhood and the load generator."""
