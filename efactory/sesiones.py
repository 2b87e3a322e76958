"""Django's database sessions, read with SQL compiled once per process.

Every page reads its session first; turning that ``get()`` into SQL cost more Python time
than the database takes to answer it. This store is ``django.contrib.sessions``' own
(``SESSION_ENGINE = "efactory.sesiones"``: the same table, the same expiry and the same
answer to a missing or expired session), with the read through a
:class:`~efactory.preparadas.PreparadaDeModelos`.
"""

import logging

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.core.exceptions import SuspiciousOperation
from django.db import router
from django.utils import timezone

from efactory.preparadas import PreparadaDeModelos

# Django orders a filter's keyword arguments by name: the expiry's parameter comes first.
VIGENTE = PreparadaDeModelos(
    lambda clave, ahora: Session.objects.filter(session_key=clave, expire_date__gt=ahora),
    parametros=lambda clave, ahora: [ahora, clave],
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        try:
            sesiones = VIGENTE.filas(
                self.session_key, timezone.now(), using=router.db_for_read(Session)
            )
        except SuspiciousOperation as e:
            logger = logging.getLogger(f"django.security.{e.__class__.__name__}")
            logger.warning(str(e))
            sesiones = []
        if sesiones:
            return sesiones[0]
        self._session_key = None
        return None
