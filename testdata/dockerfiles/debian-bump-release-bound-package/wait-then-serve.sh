#!/bin/sh
until nc -z "$DB_HOST" 5432; do sleep 1; done
exec uvicorn api:app --host 0.0.0.0 --port 8000
