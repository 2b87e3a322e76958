"""``python manage.py demo``: load a realistic Spanish demo data set.

Lookups, executors, clients with contacts and the three demo users are upserted on their
natural keys (codigo, nombre, username), so running the command again changes nothing.
Cases are topped up: ``--casos N`` makes sure at least N cases exist and only creates the
missing ones, in batches with ``bulk_create`` (100,000 cases take a few minutes).
"""

import datetime
import random
import re
import time
from bisect import bisect
from decimal import Decimal
from itertools import accumulate

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from cases.models import (
    Actividad,
    Articulo,
    Caso,
    Clase,
    Complejidad,
    Departamento,
    Ejecutor,
    Etapa,
    Grupo,
    Origen,
    Prioridad,
    Secuencia,
    minutos_entre,
)
from customers.models import Cliente, Contacto
from efactory.estatus import Estatus

URL = "http://127.0.0.1:8000/"
CASOS_POR_DEFECTO = 300
SEMILLA_POR_DEFECTO = 2024
LOTE_POR_DEFECTO = 5000
# Base data (clients, contacts, phones) uses its own fixed seed so that --semilla only
# changes the cases and a rerun with another seed still finds the same clients.
SEMILLA_CATALOGO = 1987

# --- Users --------------------------------------------------------------------------------

# username, password, group, first name, last name, ejecutor linked to the user
USUARIOS = [
    ("admin", "demo-admin", None, "Administrador", "del Sistema", None),
    ("soporte", "demo-soporte", "Soporte", "Luis Alberto", "Rodríguez", "Luis Alberto Rodríguez"),
    (
        "coordinador",
        "demo-coordinador",
        "Coordinador",
        "María Fernanda",
        "González",
        "María Fernanda González",
    ),
]

# --- Lookups ------------------------------------------------------------------------------

ARTICULOS = [
    ("SOP-SITIO", "Soporte técnico en sitio", True),
    ("SOP-REMOTO", "Soporte remoto", True),
    ("INST-EQUIPOS", "Instalación de equipos", True),
    ("REDES", "Cableado estructurado y redes", True),
    ("MANT-PREV", "Mantenimiento preventivo", True),
    ("DESARROLLO", "Desarrollo de software a la medida", True),
    ("CAPACITACION", "Capacitación de usuarios", True),
    ("CONSULTORIA", "Consultoría tecnológica", True),
    ("LICENCIAS", "Licenciamiento de software", True),
    ("IMPRESORAS", "Impresoras y periféricos", True),
    ("IMP-FISCAL", "Impresoras fiscales (homologación SENIAT)", True),
    ("RESPALDOS", "Respaldo y recuperación de datos", True),
    ("SEGURIDAD", "Seguridad informática y antivirus", True),
    ("CORREO", "Correo electrónico y ofimática", True),
    ("FAX", "Servicio de fax (descontinuado)", False),
]
CLASES = [
    ("INCIDENCIA", "Incidencia"),
    ("REQUERIMIENTO", "Requerimiento de servicio"),
    ("PROYECTO", "Proyecto"),
    ("GARANTIA", "Garantía"),
    ("CONTRATO", "Contrato de mantenimiento"),
    ("CONSULTA", "Consulta técnica"),
    ("ADMIN", "Gestión interna / administrativa"),
]
GRUPOS = [
    ("MESA-N1", "Mesa de ayuda (nivel 1)"),
    ("SITIO-N2", "Soporte en sitio (nivel 2)"),
    ("INFRA", "Infraestructura y redes"),
    ("DESARROLLO", "Desarrollo y aplicaciones"),
    ("CONSULTORIA", "Consultoría y proyectos"),
]
DEPARTAMENTOS = [
    ("SOPORTE", "Soporte Técnico"),
    ("DESARROLLO", "Desarrollo de Software"),
    ("INFRA", "Infraestructura y Telecomunicaciones"),
    ("PROYECTOS", "Gerencia de Proyectos"),
    ("ADMIN", "Administración y Finanzas"),
    ("VENTAS", "Ventas y Atención al Cliente"),
]

# nombre, e-mail alias, departamento, grupo, estatus, coordinates others
EJECUTORES = [
    ("María Fernanda González", "mfgonzalez", "SOPORTE", "SITIO-N2", Estatus.ACTIVO, True),
    ("Luis Alberto Rodríguez", "lrodriguez", "SOPORTE", "MESA-N1", Estatus.ACTIVO, False),
    ("José Gregorio Pérez", "jgperez", "INFRA", "INFRA", Estatus.ACTIVO, False),
    ("Ana Karina Martínez", "akmartinez", "SOPORTE", "MESA-N1", Estatus.ACTIVO, False),
    ("Carlos Eduardo Hernández", "cehernandez", "DESARROLLO", "DESARROLLO", Estatus.ACTIVO, False),
    ("Gabriela Suárez Peña", "gsuarez", "DESARROLLO", "DESARROLLO", Estatus.ACTIVO, False),
    ("Andrés Eloy Ramírez", "aeramirez", "INFRA", "INFRA", Estatus.ACTIVO, False),
    ("Daniela Castillo Muñoz", "dcastillo", "PROYECTOS", "CONSULTORIA", Estatus.ACTIVO, False),
    ("Ricardo Briceño Álvarez", "rbriceno", "SOPORTE", "SITIO-N2", Estatus.ACTIVO, False),
    ("Valentina Rojas Ibáñez", "vrojas", "VENTAS", "MESA-N1", Estatus.ACTIVO, False),
    ("Óscar Zambrano Linares", "ozambrano", "PROYECTOS", "CONSULTORIA", Estatus.ACTIVO, True),
    ("Pedro Núñez Díaz", "pnunez", "SOPORTE", "SITIO-N2", Estatus.INACTIVO, False),
]
# Generated ejecutores (--ejecutores N) take turns over these (departamento, grupo) pairs.
PUESTOS = [
    ("SOPORTE", "MESA-N1"),
    ("SOPORTE", "SITIO-N2"),
    ("INFRA", "INFRA"),
    ("DESARROLLO", "DESARROLLO"),
    ("PROYECTOS", "CONSULTORIA"),
    ("VENTAS", "MESA-N1"),
]
# Generated artículos (--articulos N): a service on a subject, on site or remote.
SERVICIOS = [
    "Soporte de",
    "Mantenimiento preventivo de",
    "Mantenimiento correctivo de",
    "Instalación de",
    "Configuración de",
    "Capacitación en",
    "Consultoría en",
    "Migración de",
    "Auditoría de",
    "Licenciamiento de",
]
OBJETOS = [
    "servidores",
    "impresoras fiscales",
    "puntos de venta",
    "redes inalámbricas",
    "cableado estructurado",
    "telefonía IP",
    "cámaras de seguridad",
    "cortafuegos",
    "equipos portátiles",
    "estaciones de trabajo",
    "nómina",
    "sistema administrativo",
    "correo corporativo",
    "bases de datos",
    "respaldos en la nube",
    "portal web",
    "inventario",
    "facturación electrónica",
    "antivirus",
    "centrales telefónicas",
]
MODALIDADES = ["", " en sitio", " remoto"]

# --- Clients ------------------------------------------------------------------------------

E, P = Cliente.Tipo.EMPRESA, Cliente.Tipo.PERSONA
ACT, INA, SUS = Estatus.ACTIVO, Estatus.INACTIVO, Estatus.SUSPENDIDO
# nombre, tipo, estatus, RIF letter (J company, G government, V/E person)
CLIENTES = [
    ("Ferretería Ñandú", E, ACT, "J"),
    ("Distribuidora Panadería La Económica", E, ACT, "J"),
    ("Clínica San José", E, ACT, "J"),
    ("Inversiones Guaraní, C.A.", E, ACT, "J"),
    ("Farmacia Santa Bárbara", E, ACT, "J"),
    ("Constructora Ávila 2020, C.A.", E, ACT, "J"),
    ("Transporte Los Andes, S.A.", E, ACT, "J"),
    ("Colegio Nuestra Señora de Belén", E, ACT, "J"),
    ("Supermercados El Trébol", E, ACT, "J"),
    ("Óptica Mérida", E, ACT, "J"),
    ("Papelería El Búho", E, ACT, "J"),
    ("Hotel Caribe Margarita", E, ACT, "J"),
    ("Laboratorio Clínico Biomédica", E, ACT, "J"),
    ("Agropecuaria La Ceiba", E, ACT, "J"),
    ("Café Araguaney", E, ACT, "J"),
    ("Seguros La Previsión Oriental", E, ACT, "J"),
    ("Auto Repuestos Maturín", E, ACT, "J"),
    ("Consultores Asociados Peña & Núñez", E, ACT, "J"),
    ("Textiles Camurí", E, INA, "J"),
    ("Panificadora Doña Inés", E, ACT, "J"),
    ("Comercializadora Tepuy", E, ACT, "J"),
    ("Clínica Odontológica Sonrisa Plena", E, ACT, "J"),
    ("Editorial Orinoco", E, ACT, "J"),
    ("Importadora Cumaná Express", E, SUS, "J"),
    ("Restaurante El Fogón Criollo", E, ACT, "J"),
    ("Ingeniería y Proyectos Catatumbo", E, ACT, "J"),
    ("Cooperativa Agrícola San Rafael", E, ACT, "J"),
    ("Academia de Idiomas Babel", E, ACT, "J"),
    ("Bodegón La Esquina de Chacao", E, ACT, "J"),
    ("Centro Médico Los Próceres", E, ACT, "J"),
    ("Tecnología Andina, C.A.", E, ACT, "J"),
    ("Licorería El Tonel", E, INA, "J"),
    ("Gimnasio Fuerza y Salud", E, ACT, "J"),
    ("Inmobiliaria Altamira", E, ACT, "J"),
    ("Zapatería La Ñapa", E, ACT, "J"),
    ("Pinturas Montaña Azul", E, ACT, "J"),
    ("Fundación Niños del Sol", E, ACT, "J"),
    ("Alcaldía del Municipio Baruta", E, ACT, "G"),
    ("Universidad Politécnica de Los Llanos", E, ACT, "G"),
    ("Lácteos Los Castores", E, ACT, "J"),
    ("Mueblería El Cedro Rojo", E, SUS, "J"),
    ("Estación de Servicio La Guaira", E, ACT, "J"),
    ("Charcutería y Víveres Don Julián", E, ACT, "J"),
    ("Servicios Petroleros Maracaibo", E, ACT, "J"),
    ("Agencia de Viajes Canaima Tours", E, ACT, "J"),
    ("Librería Ábaco", E, ACT, "J"),
    ("José Antonio Márquez", P, ACT, "V"),
    ("María Eugenia Chacón", P, ACT, "V"),
    ("Luis Ángel Bermúdez", P, ACT, "V"),
    ("Carmen Elena Ibáñez", P, ACT, "V"),
    ("Rafael Núñez Ortega", P, INA, "V"),
    ("Mónica Sofía Ávila", P, ACT, "V"),
    ("Héctor Jesús Quintero", P, ACT, "V"),
    ("Yolanda Peñaloza", P, ACT, "V"),
    ("Germán Uzcátegui", P, ACT, "E"),
    ("Ramón Ñáñez Colmenares", P, SUS, "V"),
]
# Departments of the company itself: internal clients, no RIF.
CLIENTES_INTERNOS = [
    ("INT-ADMIN", "Dpto. de Administración y Finanzas"),
    ("INT-RRHH", "Dpto. de Recursos Humanos"),
    ("INT-VENTAS", "Dpto. de Ventas y Mercadeo"),
    ("INT-TI", "Dpto. de Tecnología (uso interno)"),
]
DIRECCIONES = [
    "Av. Francisco de Miranda, Torre Europa, piso 4, Chacao",
    "Calle Bolívar con Av. Sucre, local 12",
    "Av. Las Américas, C.C. Mérida Plaza, nivel 2",
    "Av. Libertador, edificio Núñez, planta baja",
    "Carrera 19 entre calles 25 y 26, Centro",
    "Av. 5 de Julio, edificio Ávila, oficina 3-B",
    "Urb. Los Próceres, calle Páez, casa n.º 14",
    "Av. Bella Vista con calle 72, local 5",
    "Zona Industrial Los Montones, galpón 8",
    "Av. Principal de La Castellana, Quinta Araguaney",
]
CIUDADES = [
    ("Caracas", "0212"),
    ("Maracaibo", "0261"),
    ("Valencia", "0241"),
    ("Barquisimeto", "0251"),
    ("Mérida", "0274"),
    ("Maturín", "0291"),
    ("Puerto La Cruz", "0281"),
    ("San Cristóbal", "0276"),
    ("Cumaná", "0293"),
    ("Porlamar", "0295"),
]
NOMBRES = [
    "José", "María", "Luis", "Ana", "Carlos", "Carmen", "Jesús", "Rosa", "Ángel", "Beatriz",
    "Andrés", "Mariángel", "Héctor", "Inés", "Julián", "Verónica", "Raúl", "Mónica", "Simón",
    "Dayana", "Óscar", "Yusmary", "Rubén", "Lucía", "Martín", "Adriana", "Iván", "Sofía",
]  # fmt: skip
APELLIDOS = [
    "González", "Rodríguez", "Pérez", "Hernández", "García", "Martínez", "López", "Díaz",
    "Sánchez", "Ramírez", "Rojas", "Muñoz", "Suárez", "Peña", "Núñez", "Ibáñez", "Chacón",
    "Márquez", "Quintero", "Briceño", "Uzcátegui", "Colmenares", "Álvarez", "Gutiérrez",
    "Fernández", "Méndez", "Zambrano", "Contreras",
]  # fmt: skip
CARGOS = [
    "Gerente General",
    "Gerente de Administración",
    "Jefe de Sistemas",
    "Analista de Compras",
    "Asistente Administrativa",
    "Coordinador de Operaciones",
    "Contador",
    "Encargado de Tienda",
    "Directora Académica",
    "Recepcionista",
    "",
]

# --- Cases ---------------------------------------------------------------------------------

ASUNTOS = [
    "Instalación de {equipo} en {area}",
    "Falla en {sistema}: no permite {accion}",
    "Configuración de correo corporativo para el personal de {area}",
    "Mantenimiento preventivo de {equipo} de {area}",
    "Migración de {sistema} a la nueva versión",
    "Respaldo semanal de la base de datos de {sistema}",
    "Equipo de {area} no enciende después del corte eléctrico",
    "Solicitud de acceso a {sistema} para nuevo empleado",
    "Cableado de red para {area}",
    "Capacitación en {sistema} al personal de {area}",
    "Actualización de licencias de antivirus",
    "Lentitud en la conexión a internet en {area}",
    "Impresora fiscal no emite el reporte Z",
    "Recuperación de archivos borrados en {area}",
    "Cotización de {equipo} para {area}",
    "Revisión de la central telefónica de {area}",
    "Error al {accion} en {sistema}",
    "Reemplazo de disco duro de {equipo}",
    "Configuración de VPN para trabajo a distancia",
    "Desarrollo de reporte de ventas por sucursal",
    "Adecuación de {sistema} a la nueva normativa del SENIAT",
    "Virus detectado en {equipo} de {area}",
    "Reubicación de {equipo} a la oficina de {area}",
    "Auditoría de seguridad de la red inalámbrica",
]
EQUIPOS = [
    "impresora multifuncional", "servidor principal", "punto de venta", "computadora portátil",
    "router inalámbrico", "UPS", "escáner de documentos", "video beam", "switch de 24 puertos",
    "estación de trabajo",
]  # fmt: skip
AREAS = [
    "Administración", "Caja", "Almacén", "Gerencia", "Recepción", "Contabilidad", "Compras",
    "la sucursal Chacaíto", "la sede Valencia", "Facturación", "Laboratorio", "Dirección",
]  # fmt: skip
SISTEMAS = [
    "el sistema administrativo", "la nómina", "el módulo de facturación", "el inventario",
    "el correo electrónico", "el portal web", "la contabilidad", "el sistema de citas",
]  # fmt: skip
ACCIONES = [
    "imprimir facturas", "cerrar el mes", "iniciar sesión", "generar el libro de ventas",
    "exportar a Excel", "registrar pagos", "emitir notas de crédito", "consultar el inventario",
]  # fmt: skip
COMENTARIOS = [
    "El cliente reporta que la falla ocurre desde el lunes.",
    "Llamó la encargada; solicita atención antes del cierre de mes.",
    "Se acordó la visita en horario de la mañana.",
    "Requiere aprobación del presupuesto por parte de la gerencia.",
    "Pendiente por recibir las claves de acceso del proveedor.",
    "El equipo sigue en garantía; verificar factura de compra.",
    "Caso reabierto: la falla volvió a presentarse.",
    "Coordinar con el departamento de compras la adquisición de repuestos.",
    "Se envió correo con el diagnóstico preliminar.",
    "El usuario trabaja en turno de tarde; contactar después de la 1:00 p. m.",
    "Atención prioritaria: afecta la facturación de la tienda.",
    "",
]
SOLUCIONES = [
    "Se reinstaló el controlador y se verificó la impresión de prueba.",
    "Se reemplazó el cable de red dañado y se certificó el punto.",
    "Se restauró el respaldo del día anterior; el usuario validó la información.",
    "Se actualizó el sistema a la última versión y se probaron los reportes.",
    "Se configuró la cuenta y se entregaron las credenciales al usuario.",
    "Se dictó la capacitación; se entregó el manual en PDF.",
    "Se limpió el equipo y se aplicó pasta térmica; opera con normalidad.",
]
DESCRIPCIONES = [
    "Diagnóstico inicial vía telefónica",
    "Conexión remota para revisar la configuración",
    "Visita al cliente: revisión del equipo",
    "Instalación y configuración del software",
    "Pruebas de funcionamiento con el usuario",
    "Respaldo de la información antes de la intervención",
    "Reemplazo de la pieza defectuosa",
    "Actualización de controladores y parches de seguridad",
    "Levantamiento de información con el cliente",
    "Elaboración del presupuesto",
    "Reunión de seguimiento con la gerencia",
    "Documentación de la solución",
    "Capacitación al usuario final",
    "Certificación del cableado",
    "Traslado a la sede del cliente",
    "Revisión del registro de eventos del servidor",
    "Ajustes solicitados por el cliente",
    "Cierre del caso y firma de la orden de servicio",
]

# value, weight
ETAPAS = [
    (Etapa.EN_BLANCO, 5),
    (Etapa.NO_INICIADA, 8),
    (Etapa.EN_PROGRESO, 20),
    (Etapa.COMPLETADA, 35),
    (Etapa.PENDIENTE_DATOS, 7),
    (Etapa.RETRASADA, 8),
    (Etapa.PLANEADA, 8),
    (Etapa.OTROS_1, 3),
    (Etapa.OTROS_2, 3),
    (Etapa.OTROS_3, 3),
]
PRIORIDADES = [(Prioridad.ALTA, 25), (Prioridad.MEDIA, 50), (Prioridad.BAJA, 25)]
ORIGENES = [
    (Origen.EN_BLANCO, 5),
    (Origen.INTERNO, 8),
    (Origen.IDEA, 4),
    (Origen.REDES_SOCIALES, 8),
    (Origen.REUNION, 10),
    (Origen.CORREO, 30),
    (Origen.LLAMADA, 33),
    (Origen.FAX, 2),
]
COMPLEJIDADES = [
    (Complejidad.EN_BLANCO, 15),
    (Complejidad.ALTA, 20),
    (Complejidad.MEDIA, 40),
    (Complejidad.BAJA, 25),
]
CUBRIR = [("prioridad", PRIORIDADES), ("origen", ORIGENES), ("complejidad", COMPLEJIDADES)]
DURACIONES = (30, 45, 60, 60, 90, 90, 120, 150, 180, 240)  # minutes of an activity
CONTRACCION = re.compile(r"\b(de|a) el\b")
HORA_COMPLETADO = datetime.time(17, 0)  # a completed case was closed at the end of the day
ULTIMO_MINUTO = 19 * 60  # the working day ends at 19:00


class Sorteo:
    """A weighted choice that is cheap to repeat many times with one random generator."""

    def __init__(self, pares):
        self.valores = [valor for valor, _ in pares]
        self.acumulado = list(accumulate(peso for _, peso in pares))
        self.total = self.acumulado[-1]

    def __call__(self, rng):
        return self.valores[bisect(self.acumulado, rng.random() * self.total)]


SORTEO_ETAPA = Sorteo(ETAPAS)
SORTEO_PRIORIDAD = Sorteo(PRIORIDADES)
SORTEO_ORIGEN = Sorteo(ORIGENES)
SORTEO_COMPLEJIDAD = Sorteo(COMPLEJIDADES)


def rif(letra: str, numero: int) -> str:
    """A Venezuelan RIF with its check digit, e.g. ``J-30123456-7``."""
    numero = f"{numero:08d}"
    pesos = (4, 3, 2, 7, 6, 5, 4, 3, 2)
    base = {"V": 1, "E": 2, "J": 3, "P": 4, "G": 5}[letra]
    suma = base * pesos[0] + sum(int(d) * p for d, p in zip(numero, pesos[1:], strict=True))
    digito = 11 - suma % 11
    return f"{letra}-{numero}-{0 if digito >= 10 else digito}"


def telefono(rng: random.Random, area: str) -> str:
    return f"{area}-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"


def celular(rng: random.Random) -> str:
    return f"{rng.choice(('0412', '0414', '0416', '0424', '0426'))}-{rng.randint(1000000, 9999999)}"


def contraer(texto: str) -> str:
    """Spanish contractions a template leaves open: "de el sistema" → "del sistema", "a el"
    → "al" (names like "El Ávila" keep their capital and are left alone)."""
    return CONTRACCION.sub(lambda m: m.group(1) + "l", texto)


def minuto_a_hora(minuto: int) -> datetime.time:
    return datetime.time(minuto // 60, minuto % 60)


def nombres_generados(semilla: int):
    """Every «Nombre Apellido Apellido» of NOMBRES × APELLIDOS² (two different surnames),
    once each, in an order fixed by ``semilla``."""
    total = len(NOMBRES) * len(APELLIDOS) * (len(APELLIDOS) - 1)
    for indice in random.Random(semilla).sample(range(total), total):
        nombre, resto = divmod(indice, len(APELLIDOS) * (len(APELLIDOS) - 1))
        primero, segundo = divmod(resto, len(APELLIDOS) - 1)
        segundo += segundo >= primero  # skip the first surname
        yield f"{NOMBRES[nombre]} {APELLIDOS[primero]} {APELLIDOS[segundo]}"


class Command(BaseCommand):
    help = (
        "Carga datos de demostración en español: catálogos, ejecutores, ~60 clientes con sus "
        "contactos, los usuarios admin, soporte y coordinador, y casos con actividades. "
        "Se puede ejecutar varias veces: no duplica nada. --casos N asegura que existan al "
        "menos N casos (solo crea los que faltan)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--casos",
            type=int,
            default=CASOS_POR_DEFECTO,
            help=(
                "Cantidad mínima de casos que debe haber en la base de datos; se crean solo "
                f"los que faltan, con unas 3 actividades cada uno (por omisión "
                f"{CASOS_POR_DEFECTO}). Ejemplo: --casos 100000 para pruebas de volumen."
            ),
        )
        parser.add_argument(
            "--clientes",
            type=int,
            default=0,
            help=(
                "Cantidad mínima de clientes (con 1 o 2 contactos cada uno); se crean solo los "
                "que faltan, con nombres generados. Ejemplo: --clientes 5000."
            ),
        )
        parser.add_argument(
            "--ejecutores",
            type=int,
            default=0,
            help=(
                "Cantidad mínima de ejecutores; se crean solo los que faltan, activos, con "
                "nombres generados y repartidos entre grupos y departamentos. Los casos nuevos "
                "se reparten entre todos los ejecutores activos. Ejemplo: --ejecutores 400."
            ),
        )
        parser.add_argument(
            "--articulos",
            type=int,
            default=0,
            help=(
                "Cantidad mínima de artículos; se crean solo los que faltan, activos, con "
                "nombres generados. Los casos nuevos usan todos los artículos activos. "
                "Ejemplo: --articulos 400."
            ),
        )
        parser.add_argument(
            "--anos",
            type=int,
            default=1,
            help=(
                "Años de historia de los casos nuevos: su F/Inicio cae en los últimos N años "
                "(por omisión 1). Ejemplo: --anos 3 con muchos casos y actividades."
            ),
        )
        parser.add_argument(
            "--actividades",
            type=int,
            default=0,
            help=(
                "Cantidad mínima de actividades en total; se agregan las que faltan a los casos "
                "ya iniciados, repartidas entre todos los ejecutores activos y sin solaparse. "
                "Ejemplo: --casos 1000000 --ejecutores 400 --anos 3 --actividades 3000000."
            ),
        )
        parser.add_argument(
            "--semilla",
            type=int,
            default=SEMILLA_POR_DEFECTO,
            help=(
                "Semilla del generador aleatorio: la misma semilla sobre una base vacía produce "
                f"los mismos casos (por omisión {SEMILLA_POR_DEFECTO})."
            ),
        )
        parser.add_argument(
            "--lote",
            type=int,
            default=LOTE_POR_DEFECTO,
            help=f"Casos por lote y por transacción (por omisión {LOTE_POR_DEFECTO}).",
        )
        parser.add_argument(
            "--url",
            default=URL,
            help=(
                "Dirección que se muestra al terminar, donde se sirve la aplicación "
                f"(make run pasa la de su PORT; por omisión {URL})."
            ),
        )

    def handle(
        self,
        *args,
        casos,
        semilla,
        lote,
        verbosity,
        clientes=0,
        ejecutores=0,
        articulos=0,
        anos=1,
        actividades=0,
        url=URL,
        **options,
    ):
        if min(casos, clientes, ejecutores, articulos, actividades) < 0:
            raise CommandError(
                "--casos, --clientes, --ejecutores, --articulos y --actividades no pueden ser "
                "negativos."
            )
        if anos < 1:
            raise CommandError("--anos debe ser al menos 1.")
        self.anos = anos
        if lote < 1:
            raise CommandError("--lote debe ser al menos 1.")
        self.verbosity = verbosity
        with transaction.atomic():
            usuarios = self.cargar_usuarios()
            catalogos = self.cargar_catalogos()
            demo_ejecutores = self.cargar_ejecutores(usuarios)
            base = self.cargar_clientes()
            if ejecutores:
                demo_ejecutores = self.completar_ejecutores(ejecutores, demo_ejecutores)
            if articulos:
                catalogos["articulos"] = self.completar_articulos(articulos)
        ejecutores = demo_ejecutores
        total_clientes = self.completar_clientes(random.Random(f"{semilla}:clientes"), clientes)
        self.stdout.write(
            f"Catálogos, {len(ejecutores)} ejecutores y "
            f"{max(total_clientes, len(base))} clientes listos."
        )

        existentes = Caso.objects.count()
        faltan = max(casos - existentes, 0)
        if faltan == 0:
            self.stdout.write(
                f"Ya existen {existentes} casos (se pidieron al menos {casos}): "
                "los datos de demostración ya están cargados; no se crean casos nuevos."
            )
        else:
            # Seed with the count too, so a top-up does not replay the cases of the first run.
            rng = random.Random(f"{semilla}:{existentes}")
            self.crear_casos(rng, faltan, lote, list(usuarios.values()), catalogos, ejecutores)
        if actividades:
            self.completar_actividades(
                random.Random(f"{semilla}:actividades"), actividades, lote, catalogos
            )
        self.imprimir_accesos(url)

    # --- Base data ----------------------------------------------------------------------

    def cargar_usuarios(self) -> dict:
        """Create or reset the demo users; their passwords are always the documented ones."""
        User = get_user_model()
        usuarios = {}
        for username, clave, grupo, nombre, apellido, _ejecutor in USUARIOS:
            usuario, _ = User.objects.get_or_create(username=username)
            usuario.first_name = nombre
            usuario.last_name = apellido
            usuario.email = f"{username}@efactory.example"
            usuario.is_active = True
            usuario.is_staff = usuario.is_superuser = grupo is None
            usuario.set_password(clave)
            usuario.save()
            if grupo:
                try:
                    usuario.groups.add(Group.objects.get(name=grupo))
                except Group.DoesNotExist as exc:
                    raise CommandError(
                        f"No existe el grupo «{grupo}»: ejecute primero «manage.py migrate»."
                    ) from exc
            usuarios[username] = usuario
        return usuarios

    def cargar_catalogos(self) -> dict:
        """Upsert the lookup tables by codigo; return the active rows of each one."""
        articulos = [
            Articulo.objects.update_or_create(
                codigo=codigo, defaults={"nombre": nombre, "activo": activo}
            )[0]
            for codigo, nombre, activo in ARTICULOS
        ]
        resultado = {"articulos": [a for a in articulos if a.activo]}
        for clave, modelo, filas in [
            ("clases", Clase, CLASES),
            ("grupos", Grupo, GRUPOS),
            ("departamentos", Departamento, DEPARTAMENTOS),
        ]:
            resultado[clave] = {
                codigo: modelo.objects.update_or_create(
                    codigo=codigo, defaults={"nombre": nombre, "activo": True}
                )[0]
                for codigo, nombre in filas
            }
        resultado["clases"] = list(resultado["clases"].values())
        return resultado

    def cargar_ejecutores(self, usuarios: dict) -> list:
        """Upsert the executors by nombre and link the soporte and coordinador users."""
        departamentos = {d.codigo: d for d in Departamento.objects.all()}
        grupos = {g.codigo: g for g in Grupo.objects.all()}
        enlaces = {ejecutor: username for username, *_, ejecutor in USUARIOS if ejecutor}
        ejecutores = []
        for nombre, alias, depto, grupo, estatus, coordina in EJECUTORES:
            defaults = {
                "email": f"{alias}@efactory.example",
                "departamento": departamentos[depto],
                "grupo": grupos[grupo],
                "estatus": estatus,
            }
            usuario = usuarios.get(enlaces.get(nombre))
            # Never steal a user already linked to another (non-demo) executor.
            if (
                usuario
                and not Ejecutor.objects.filter(usuario=usuario).exclude(nombre=nombre).exists()
            ):
                defaults["usuario"] = usuario
            ejecutor = Ejecutor.objects.filter(nombre=nombre).order_by("pk").first()
            if ejecutor is None:
                ejecutor = Ejecutor.objects.create(nombre=nombre, **defaults)
            else:
                for campo, valor in defaults.items():
                    setattr(ejecutor, campo, valor)
                ejecutor.save()
            ejecutor.coordina = coordina
            ejecutores.append(ejecutor)
        return ejecutores

    def cargar_clientes(self) -> list:
        """Upsert ~60 clients by codigo, each with 1–3 contacts (upserted by nombre)."""
        rng = random.Random(SEMILLA_CATALOGO)
        numeros_rif = rng.sample(range(10_000_000, 40_000_000), len(CLIENTES))
        filas = []
        for indice, (nombre, tipo, estatus, letra) in enumerate(CLIENTES, start=1):
            if letra == "J":
                numero = 30_000_000 + numeros_rif[indice - 1] % 10_000_000
            elif letra == "G":
                numero = 20_000_000 + indice
            else:
                numero = numeros_rif[indice - 1] % 30_000_000
            filas.append((f"CLI{indice:03d}", nombre, tipo, estatus, rif(letra, numero), False))
        for codigo, nombre in CLIENTES_INTERNOS:
            filas.append((codigo, nombre, Cliente.Tipo.EMPRESA, Estatus.ACTIVO, "", True))

        clientes = []
        for codigo, nombre, tipo, estatus, numero_rif, interno in filas:
            ciudad, area = rng.choice(CIUDADES)
            dominio = "efactory.example" if interno else f"{slugify(nombre)}.example"
            cliente, _ = Cliente.objects.update_or_create(
                codigo=codigo,
                defaults={
                    "nombre": nombre,
                    "tipo": tipo,
                    "rif": numero_rif,
                    "email": f"{slugify(nombre)}@efactory.example"
                    if interno
                    else f"info@{dominio}",
                    "telefono": telefono(rng, area) if tipo == E else celular(rng),
                    "direccion": f"{rng.choice(DIRECCIONES)}, {ciudad}",
                    "estatus": estatus,
                    "interno": interno,
                },
            )
            cantidad = 1 if tipo == P else rng.randint(1, 3)
            cliente.lista_contactos = []
            for posicion in range(cantidad):
                if tipo == P and posicion == 0:
                    contacto_nombre, cargo = nombre, ""
                else:
                    contacto_nombre = (
                        f"{rng.choice(NOMBRES)} {rng.choice(APELLIDOS)} {rng.choice(APELLIDOS)}"
                    )
                    cargo = rng.choice(CARGOS)
                usuario_correo = slugify(contacto_nombre).replace("-", ".")
                contacto, _ = Contacto.objects.update_or_create(
                    cliente=cliente,
                    nombre=contacto_nombre,
                    defaults={
                        "cargo": cargo,
                        "email": f"{usuario_correo}@{dominio}",
                        "telefono": celular(rng),
                        "activo": posicion < 2,
                    },
                )
                cliente.lista_contactos.append(contacto)
            clientes.append(cliente)
        return clientes

    def completar_ejecutores(self, total: int, demo: list) -> list:
        """Create active ejecutores with generated names until there are ``total``; return
        every active one (the demo's first, with their coordina flag) for the new cases.

        The names come in a fixed order (nombre, apellido, segundo apellido) and the
        (departamento, grupo) pairs take turns, so the same --ejecutores gives the same
        people whatever the seed.
        """
        departamentos = {d.codigo: d for d in Departamento.objects.all()}
        grupos = {g.codigo: g for g in Grupo.objects.all()}
        faltan = total - Ejecutor.objects.count()
        if faltan > 0:
            existentes = set(Ejecutor.objects.values_list("nombre", flat=True))
            nuevos = []
            for nombre in nombres_generados(SEMILLA_CATALOGO):
                if len(nuevos) == faltan:
                    break
                if nombre in existentes:
                    continue
                depto, grupo = PUESTOS[len(nuevos) % len(PUESTOS)]
                nuevos.append(
                    Ejecutor(
                        nombre=nombre,
                        email=f"{slugify(nombre).replace('-', '.')}@efactory.example",
                        departamento=departamentos[depto],
                        grupo=grupos[grupo],
                        estatus=Estatus.ACTIVO,
                    )
                )
            Ejecutor.objects.bulk_create(nuevos, batch_size=2000)
            self.stdout.write(f"{len(nuevos)} ejecutores generados.")
        vistos = {e.pk for e in demo}
        otros = list(
            Ejecutor.objects.filter(estatus=Estatus.ACTIVO)
            .exclude(pk__in=vistos)
            .select_related("grupo", "departamento")
            .order_by("pk")
        )
        for ejecutor in otros:
            ejecutor.coordina = False
        return demo + otros

    def completar_articulos(self, total: int) -> list:
        """Create active artículos (``ART-0001``…) until there are ``total``; return every
        active one, for the new cases."""
        faltan = total - Articulo.objects.count()
        if faltan > 0:
            codigos = set(Articulo.objects.values_list("codigo", flat=True))
            nombres = [
                f"{servicio} {objeto}{modalidad}"
                for modalidad in MODALIDADES
                for servicio in SERVICIOS
                for objeto in OBJETOS
            ]
            random.Random(SEMILLA_CATALOGO).shuffle(nombres)
            nuevos = []
            k = 0
            while len(nuevos) < faltan:
                codigo = f"ART-{k + 1:04d}"
                vuelta, posicion = divmod(k, len(nombres))
                nombre = nombres[posicion] + (f" ({vuelta + 1})" if vuelta else "")
                k += 1
                if codigo not in codigos:
                    nuevos.append(Articulo(codigo=codigo, nombre=nombre, activo=True))
            Articulo.objects.bulk_create(nuevos, batch_size=2000)
            self.stdout.write(f"{len(nuevos)} artículos generados.")
        return list(Articulo.objects.filter(activo=True).order_by("pk"))

    def completar_clientes(self, rng, total: int) -> int:
        """Bulk-create generated clients (and their contacts) until there are ``total``."""
        existentes = Cliente.objects.count()
        if total <= existentes:
            return existentes
        prefijos = [
            "Distribuidora",
            "Inversiones",
            "Comercial",
            "Servicios",
            "Taller",
            "Farmacia",
            "Panadería",
            "Ferretería",
            "Clínica",
            "Constructora",
            "Transporte",
            "Librería",
            "Óptica",
            "Papelería",
            "Agropecuaria",
        ]
        nombres = [
            "Ñandú",
            "Mérida",
            "Los Andes",
            "Guayana",
            "Caroní",
            "El Ávila",
            "Orinoco",
            "San José",
            "La Económica",
            "Margarita",
            "Catatumbo",
            "Los Próceres",
            "Santa Bárbara",
            "El Cafetal",
            "Bolívar",
            "Canaima",
            "La Candelaria",
        ]
        sufijos = ["C.A.", "S.A.", "S.R.L.", "", ""]
        nuevos = []
        for n in range(existentes + 1, total + 1):
            nombre = " ".join(
                p for p in (rng.choice(prefijos), rng.choice(nombres), rng.choice(sufijos)) if p
            )
            nuevos.append(
                Cliente(
                    codigo=f"CLG{n:06d}",
                    nombre=f"{nombre} {n}",
                    tipo=Cliente.Tipo.EMPRESA,
                    rif=f"J-{40000000 + n}-{n % 10}",
                    email=f"contacto{n}@cliente{n}.example",
                    estatus=Estatus.ACTIVO if rng.random() < 0.95 else Estatus.INACTIVO,
                )
            )
        with transaction.atomic():
            creados = Cliente.objects.bulk_create(nuevos, batch_size=2000)
            contactos = [
                Contacto(
                    cliente=cliente,
                    nombre=f"Contacto {i + 1} de {cliente.codigo}",
                    email=f"c{i + 1}@{cliente.codigo.lower()}.example",
                )
                for cliente in creados
                for i in range(rng.choice((1, 2)))
            ]
            Contacto.objects.bulk_create(contactos, batch_size=5000)
        self.stdout.write(f"{len(creados)} clientes generados con {len(contactos)} contactos.")
        return total

    # --- Cases --------------------------------------------------------------------------

    def crear_casos(self, rng, faltan, lote, usuarios, catalogos, ejecutores):
        """Create ``faltan`` cases with their activities, ``lote`` cases per transaction."""
        clientes = list(
            Cliente.objects.prefetch_related("contactos").order_by("codigo")
        )  # also picks up clients created by people, not only the demo ones
        contexto = {
            "hoy": timezone.localdate(),
            "usuarios": usuarios,
            "clientes": [(c, list(c.contactos.all())) for c in clientes],
            "activos": [e for e in ejecutores if e.estatus == Estatus.ACTIVO],
            "coordinadores": [e for e in ejecutores if e.coordina],
            "ejecutores": ejecutores,
            # (ejecutor id, fecha) -> first free minute: nobody is in two cases at once.
            "ocupado": self.minutos_ocupados() if Caso.objects.exists() else {},
            **catalogos,
        }
        inicio = time.monotonic()
        hechos = actividades = 0
        while hechos < faltan:
            cantidad = min(lote, faltan - hechos)
            with transaction.atomic():
                primero = Secuencia.reservar("caso", cantidad=cantidad)
                nuevos, filas = [], []
                for posicion in range(cantidad):
                    indice = hechos + posicion
                    # The first cases walk through every choice, so even a small data
                    # set shows all of them; the rest follow the weights.
                    etapa = ETAPAS[indice][0] if indice < len(ETAPAS) else SORTEO_ETAPA(rng)
                    caso, suyas = self.nuevo_caso(rng, contexto, etapa, primero + posicion)
                    for campo, pares in CUBRIR:
                        if indice < len(pares):
                            setattr(caso, campo, pares[indice][0])
                    nuevos.append(caso)
                    filas.append(suyas)
                Caso.objects.bulk_create(nuevos, batch_size=1000)
                if any(caso.pk is None for caso in nuevos):
                    # Backends that cannot return ids from a bulk insert.
                    ids = dict(
                        Caso.objects.filter(
                            numero__range=(primero, primero + cantidad - 1)
                        ).values_list("numero", "pk")
                    )
                    for caso in nuevos:
                        caso.pk = ids[caso.numero]
                pendientes = []
                for caso, suyas in zip(nuevos, filas, strict=True):
                    for actividad in suyas:
                        actividad.caso_id = caso.pk
                        actividad.cliente_id = caso.cliente_id  # bulk_create skips save()
                        pendientes.append(actividad)
                Actividad.objects.bulk_create(pendientes, batch_size=2000)
            hechos += cantidad
            actividades += len(pendientes)
            if self.verbosity >= 1:
                self.stdout.write(
                    f"  {hechos:,}/{faltan:,} casos y {actividades:,} actividades creados "
                    f"({time.monotonic() - inicio:.1f} s)".replace(",", ".")
                )
        self.stdout.write(
            self.style.SUCCESS(f"Se crearon {hechos} casos con {actividades} actividades.")
        )

    def nuevo_caso(self, rng, ctx, etapa, numero):
        """An unsaved case with consistent dates and avance, and its unsaved activities."""
        hoy = ctx["hoy"]
        fecha_inicio, fecha_cierre = self.fechas(rng, etapa, hoy, getattr(self, "anos", 1))
        cliente, contactos = rng.choice(ctx["clientes"])
        # Mostly active executors; the inactive one keeps some old cases.
        if rng.random() < 0.05:
            ejecutor = None if rng.random() < 0.5 else rng.choice(ctx["ejecutores"])
        else:
            ejecutor = rng.choice(ctx["activos"])
        articulo = rng.choice(ctx["articulos"]) if rng.random() < 0.9 else None
        facturable = not cliente.interno and rng.random() < 0.7
        caso = Caso(
            numero=numero,
            asunto=self.asunto(rng),
            prioridad=SORTEO_PRIORIDAD(rng),
            cliente=cliente,
            coordinador=rng.choice(ctx["coordinadores"]) if rng.random() < 0.8 else None,
            fecha_inicio=fecha_inicio,
            fecha_cierre=fecha_cierre,
            etapa=etapa,
            avance=self.avance(rng, etapa),
            articulo=articulo,
            clase=rng.choice(ctx["clases"]) if rng.random() < 0.85 else None,
            interno=cliente.interno,
            grupo=ejecutor.grupo if ejecutor else None,
            contacto=rng.choice(contactos) if contactos and rng.random() < 0.9 else None,
            ejecutor=ejecutor,
            departamento=ejecutor.departamento if ejecutor else None,
            origen=SORTEO_ORIGEN(rng),
            comentario=rng.choice(COMENTARIOS),
            estimado=Decimal(rng.choice((0, 1, 2, 2, 4, 4, 6, 8, 12, 16, 24, 40))),
            complejidad=SORTEO_COMPLEJIDAD(rng),
            nivel=rng.choice((0, 0, 0, 0, 0, 0, 1, 2, 3, 5, 10, -1)),
            facturable=facturable,
            propietario=rng.choice(ctx["usuarios"]),
            revisor=rng.choice(ctx["activos"]) if rng.random() < 0.3 else None,
            comentario_solucion=rng.choice(SOLUCIONES) if etapa == Etapa.COMPLETADA else "",
            # bulk_create skips the editor's rules (Caso.aplicar_derivados): a completed case
            # says when, on its closing day.
            completado_en=self.completado_en(fecha_cierre) if etapa == Etapa.COMPLETADA else None,
        )
        return caso, self.actividades(rng, ctx, caso, ejecutor, articulo, facturable)

    @staticmethod
    def fechas(rng, etapa, hoy, anos=1):
        """fecha_inicio in the last ``anos`` years (upcoming for planned work), a valid
        cierre."""
        futuro = etapa == Etapa.PLANEADA or (
            etapa in (Etapa.NO_INICIADA, Etapa.EN_BLANCO) and rng.random() < 0.5
        )
        if futuro:
            inicio = hoy + datetime.timedelta(days=rng.randint(1, 60))
            cierre = None
            if rng.random() < 0.5:
                cierre = inicio + datetime.timedelta(days=rng.randint(0, 30))
            return inicio, cierre
        dias = rng.randint(2, 365 * anos)
        inicio = hoy - datetime.timedelta(days=dias)
        if etapa == Etapa.COMPLETADA:
            cierre = inicio + datetime.timedelta(days=rng.randint(0, min(dias, 45)))
        elif etapa == Etapa.RETRASADA:
            # The planned closure has passed and the case is still open.
            cierre = inicio + datetime.timedelta(days=rng.randint(0, min(dias - 1, 30)))
        elif rng.random() < 0.3:
            cierre = inicio + datetime.timedelta(days=rng.randint(0, 90))
        else:
            cierre = None
        return inicio, cierre

    @staticmethod
    def completado_en(fecha_cierre: datetime.date) -> datetime.datetime:
        """The end of the closing day, or now when that is still to come."""
        momento = timezone.make_aware(datetime.datetime.combine(fecha_cierre, HORA_COMPLETADO))
        return min(momento, timezone.now())

    @staticmethod
    def avance(rng, etapa):
        if etapa == Etapa.COMPLETADA:
            return 100
        if etapa in (Etapa.NO_INICIADA, Etapa.PLANEADA):
            return 0
        if etapa == Etapa.EN_BLANCO:
            return rng.choice((0, 0, 0, 10, 20))
        if etapa == Etapa.EN_PROGRESO:
            return rng.randint(1, 9) * 10
        return rng.randint(0, 9) * 10

    @staticmethod
    def asunto(rng):
        plantilla = rng.choice(ASUNTOS)
        texto = plantilla.format(
            equipo=rng.choice(EQUIPOS),
            area=rng.choice(AREAS),
            sistema=rng.choice(SISTEMAS),
            accion=rng.choice(ACCIONES),
        )
        return contraer(texto)[:200]

    @staticmethod
    def minutos_ocupados() -> dict:
        """Where each ejecutor's day already ends, for cases added to an existing database."""
        filas = (
            Actividad.objects.values_list("ejecutor_id", "fecha")
            .annotate(fin=Max("hora_fin"))
            .order_by()
        )
        return {(ej, fecha): fin.hour * 60 + fin.minute for ej, fecha, fin in filas}

    @staticmethod
    def actividades(rng, ctx, caso, ejecutor, articulo, facturable):
        """0–6 activities dated within the case window and never after today.

        Each ejecutor's day is filled one activity after the other across all cases
        (``ctx["ocupado"]``), so no two rows of the same ejecutor overlap, in this case or
        in another: the database refuses overlaps. A row that no longer fits in its
        ejecutor's day is left out.
        """
        hasta = min(caso.fecha_cierre or ctx["hoy"], ctx["hoy"])
        if caso.fecha_inicio > hasta or caso.etapa in (Etapa.NO_INICIADA, Etapa.PLANEADA):
            return []
        dias = (hasta - caso.fecha_inicio).days
        fechas = sorted(
            caso.fecha_inicio + datetime.timedelta(days=rng.randint(0, dias))
            for _ in range(rng.randint(1, 6))
        )
        ocupado = ctx["ocupado"]
        filas = []
        for fecha in fechas:
            otro = rng.random() < 0.2 or ejecutor is None
            quien = rng.choice(ctx["activos"]) if otro else ejecutor
            libre = ocupado.get((quien.pk, fecha))
            if libre is not None:
                desde = libre + rng.choice((0, 15, 30, 60))
            else:
                desde = 7 * 60 + 30 + rng.choice((0, 30, 60, 90, 120, 180, 240, 330))
            hasta_minuto = desde + rng.choice(DURACIONES)
            if hasta_minuto > ULTIMO_MINUTO:
                continue  # the ejecutor's day is full
            ocupado[(quien.pk, fecha)] = hasta_minuto
            hora_inicio, hora_fin = minuto_a_hora(desde), minuto_a_hora(hasta_minuto)
            filas.append(
                Actividad(
                    fecha=fecha,
                    hora_inicio=hora_inicio,
                    hora_fin=hora_fin,
                    # bulk_create skips save(), which is what normally fills minutos.
                    minutos=minutos_entre(hora_inicio, hora_fin),
                    descripcion=rng.choice(DESCRIPCIONES),
                    ejecutor=quien,
                    facturable=facturable if rng.random() < 0.9 else not facturable,
                    articulo=articulo if rng.random() < 0.8 else rng.choice(ctx["articulos"]),
                )
            )
        return filas

    def completar_actividades(self, rng, total: int, lote: int, catalogos: dict):
        """Add activities to the started cases until there are ``total`` in all.

        Each case gets its share of the missing rows (its dates within the case's window,
        never after today), by its ejecutor half of the time and by any active ejecutor
        otherwise, filling each ejecutor's day one row after the other as
        :meth:`actividades` does, so that nobody is in two places at once. Rows that no
        longer fit in a day are left out; the count printed at the end says how many were
        added.
        """
        faltan = total - Actividad.objects.count()
        if faltan <= 0:
            self.stdout.write(f"Ya existen al menos {total} actividades.")
            return
        hoy = timezone.localdate()
        activos = list(Ejecutor.objects.filter(estatus=Estatus.ACTIVO).values_list("pk", flat=True))
        articulos = [a.pk for a in catalogos["articulos"]]
        son_activos = set(activos)
        casos = (
            Caso.objects.exclude(etapa__in=[Etapa.NO_INICIADA, Etapa.PLANEADA])
            .filter(fecha_inicio__lte=hoy)
            .order_by("pk")
        )
        cuantos = casos.count()
        if not cuantos or not activos:
            return
        por_caso = faltan / cuantos
        ocupado = self.minutos_ocupados()
        filas, hechas, debe, inicio = [], 0, 0.0, time.monotonic()
        campos = (
            "pk",
            "cliente_id",
            "fecha_inicio",
            "fecha_cierre",
            "ejecutor_id",
            "facturable",
            "articulo_id",
        )
        for pk, cliente, desde, cierre, ejecutor, facturable, articulo in casos.values_list(
            *campos
        ).iterator(chunk_size=lote):
            debe += por_caso
            n, debe = int(debe), debe - int(debe)
            hasta = min(cierre or hoy, hoy)
            dias = (hasta - desde).days
            for _ in range(n):
                fecha = desde + datetime.timedelta(days=rng.randint(0, max(dias, 0)))
                duracion = rng.choice((15, 30, 30, 45, 60))
                # The case's ejecutor when their day has room, else someone else's free day.
                candidatos = [ejecutor] if ejecutor in son_activos else []
                candidatos += [rng.choice(activos) for _ in range(3)]
                for quien in candidatos:
                    libre = ocupado.get((quien, fecha), 7 * 60 + rng.choice((0, 30, 60)))
                    comienzo = libre + rng.choice((0, 0, 15))
                    fin = comienzo + duracion
                    if fin <= ULTIMO_MINUTO:
                        break
                else:
                    continue  # every day tried is full
                ocupado[(quien, fecha)] = fin
                filas.append(
                    Actividad(
                        caso_id=pk,
                        cliente_id=cliente,
                        fecha=fecha,
                        hora_inicio=minuto_a_hora(comienzo),
                        hora_fin=minuto_a_hora(fin),
                        minutos=fin - comienzo,
                        descripcion=rng.choice(DESCRIPCIONES),
                        ejecutor_id=quien,
                        facturable=facturable if rng.random() < 0.9 else not facturable,
                        articulo_id=articulo if rng.random() < 0.8 else rng.choice(articulos),
                    )
                )
            if len(filas) >= lote:
                hechas += self.guardar_actividades(filas, lote)
                filas = []
                if self.verbosity >= 1:
                    self.stdout.write(
                        f"  {hechas:,} actividades agregadas ({time.monotonic() - inicio:.1f} s)"
                    )
        hechas += self.guardar_actividades(filas, lote)
        self.stdout.write(self.style.SUCCESS(f"Se agregaron {hechas} actividades."))

    @staticmethod
    def guardar_actividades(filas, lote) -> int:
        with transaction.atomic():
            Actividad.objects.bulk_create(filas, batch_size=min(lote, 5000))
        return len(filas)

    # --- Output -------------------------------------------------------------------------

    def imprimir_accesos(self, url=URL):
        anchura = max(len(u[0]) for u in USUARIOS)
        lineas = [
            "",
            "=" * 64,
            "Datos de demostración listos.",
            f"Abra {url} (make run lo sirve con gunicorn; make dev, con runserver).",
            "",
            "Usuarios de demostración (usuario / contraseña):",
        ]
        roles = {
            "admin": "superusuario; administración en /admin/",
            "soporte": "grupo Soporte",
            "coordinador": "grupo Coordinador",
        }
        for username, clave, *_ in USUARIOS:
            lineas.append(f"    {username.ljust(anchura)} / {clave.ljust(17)} ({roles[username]})")
        lineas.append("=" * 64)
        self.stdout.write("\n".join(lineas))
