#!/bin/sh
set -e
# match the host's ids, then drop to the app user
if [ -n "$PUID" ]; then usermod -o -u "$PUID" recipes; fi
if [ -n "$PGID" ]; then groupmod -o -g "$PGID" recipes; fi
chown -R recipes:recipes /app/media
exec gosu recipes "$@"
