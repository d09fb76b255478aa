"""Read-only questions the screens ask across cases: a user's tasks, a case's timeline, similar
past cases."""
