#!/bin/sh
set -e
until pg_isready -h "$DB_HOST" -q; do sleep 1; done
alembic upgrade head
exec "$@"
