"""Logging helpers (see LOGGING in efactory/settings/base.py)."""

import logging


class SinTrazaEn403(logging.Filter):
    """Drop the traceback of a 403 record: a refused permission is not an error.

    Django logs every PermissionDenied on ``django.request`` as a warning with the
    exception attached, so each 403 wrote a whole traceback to the log. The one-line
    warning ("Forbidden (Permission denied): /casos/…") is kept.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
