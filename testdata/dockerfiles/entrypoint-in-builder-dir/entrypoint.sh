#!/bin/sh
set -e
chown -R svc /opt/svc/state 2>/dev/null || true
exec /opt/svc/.venv/bin/python -m svc
