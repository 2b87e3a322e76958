"""Delete the one-time form tokens older than N days (default 30)."""

import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from cases.models import EnvioFormulario


class Command(BaseCommand):
    help = (
        "Borra los tokens de envío único (EnvioFormulario) de más de --dias días (30 por "
        "defecto). Un token solo sirve para reconocer el reenvío de una página reciente; "
        "ejecútelo a diario (cron o un temporizador de systemd)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dias", type=int, default=30)

    def handle(self, *args, dias, **options):
        limite = timezone.now() - datetime.timedelta(days=max(dias, 1))
        borrados, _detalle = EnvioFormulario.objects.filter(creado_en__lt=limite).delete()
        self.stdout.write(f"Se borraron {borrados} tokens de envío de más de {dias} días.")
