"""Notifications: the outbox, its channels (e-mail, in-app inbox, webhook) and the scheduled sweeps.

Importing this package registers the transition effects that queue notifications; it never
imports ``web``.
"""
