#!/bin/bash
python3.6 manage.py migrate --noinput
exec gunicorn -b 0.0.0.0:8000 shop.wsgi
