#!/bin/sh
set -e
if [ -n "$EXTRA_PACKAGES" ]; then
  pip3 install --no-cache-dir $EXTRA_PACKAGES
fi
exec "$@"
