#!/bin/sh
exec celery -A tasks worker --loglevel=info
