#!/bin/sh
set -e
python manage.py collectstatic --noinput
exec gunicorn shop.wsgi -b 0.0.0.0:8000
