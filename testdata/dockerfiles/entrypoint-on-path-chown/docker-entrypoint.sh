#!/bin/sh
set -e
mkdir -p /var/lib/worker
chown -R nobody /var/lib/worker
exec setpriv --reuid=nobody --regid=nogroup --init-groups "$@"
