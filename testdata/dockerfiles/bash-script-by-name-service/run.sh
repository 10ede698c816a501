service nginx start
exec gunicorn -b 127.0.0.1:8000 web:app
