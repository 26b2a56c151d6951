import os

from django.core.wsgi import get_wsgi_application

from recoup.lib.clock import install_from_env

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recoup.settings")
install_from_env()  # RECOUP_CLOCK_FILE, a testing aid (docs/deploy.md)
application = get_wsgi_application()
