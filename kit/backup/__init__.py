"""Backup and restore of a provisioned stack's Postgres database (scripts/backup, scripts/restore).

Everything runs inside the stack's own containers with `docker exec`, so the client tools always
match the server's version and the backend network never needs publishing. Redis is a cache here:
it is not backed up; a restore drops the cached product documents instead.
"""
