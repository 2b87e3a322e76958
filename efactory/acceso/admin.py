"""django-axes' admin pages, under the Spanish names of this app's proxy models.

axes registers its models under an English section ("Axes"); they are unregistered here
and the same admin classes serve the proxies, so the section and the model names read in
Spanish. This module runs after axes' own admin (this app follows ``axes`` in
INSTALLED_APPS).
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin

from .models import FalloDeAcceso, IntentoFallido, RegistroDeAcceso

for modelo in (AccessAttempt, AccessFailureLog, AccessLog):
    if admin.site.is_registered(modelo):
        admin.site.unregister(modelo)

admin.site.register(IntentoFallido, AccessAttemptAdmin)
admin.site.register(FalloDeAcceso, AccessFailureLogAdmin)
admin.site.register(RegistroDeAcceso, AccessLogAdmin)
