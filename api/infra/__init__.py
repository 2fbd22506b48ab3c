"""The machinery the rules use: database set-up and triggers, the clock, password hashing, outbound channels."""
