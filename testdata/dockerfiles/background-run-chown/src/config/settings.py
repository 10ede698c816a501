SECRET_KEY = "x"
INSTALLED_APPS = ["django_q"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
