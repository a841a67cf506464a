# gunicorn reads this file when started from the checkout (Procfile, docs/deploy.md pass it
# explicitly with -c). The access log keeps no one-time tokens, search terms or cookies:
# see b12care/core/accesslog.py.
logger_class = "b12care.core.accesslog.ScrubbingLogger"
