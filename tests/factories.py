"""factory_boy factories for the models of eFactory Casos."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from cases.models import Actividad, Articulo, Caso, Clase, Departamento, Ejecutor, Grupo
from customers.models import Cliente, Contacto


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"usuario{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "clave-segura-123")

    @factory.post_generation
    def grupos(self, create, extracted, **kwargs):
        if create and extracted:
            for nombre in extracted:
                self.groups.add(Group.objects.get(name=nombre))
        if create:
            self.save()


class ClienteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cliente

    codigo = factory.Sequence(lambda n: f"C{n:05d}")
    nombre = factory.Sequence(lambda n: f"Cliente {n}")
    tipo = Cliente.Tipo.EMPRESA


class ContactoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contacto

    cliente = factory.SubFactory(ClienteFactory)
    nombre = factory.Sequence(lambda n: f"Contacto {n}")


class EjecutorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ejecutor

    nombre = factory.Sequence(lambda n: f"Ejecutor {n}")


class ArticuloFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Articulo

    codigo = factory.Sequence(lambda n: f"A{n:04d}")
    nombre = factory.Sequence(lambda n: f"Artículo {n}")


class ClaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clase

    codigo = factory.Sequence(lambda n: f"CL{n:03d}")
    nombre = factory.Sequence(lambda n: f"Clase {n}")


class GrupoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grupo

    codigo = factory.Sequence(lambda n: f"G{n:03d}")
    nombre = factory.Sequence(lambda n: f"Grupo {n}")


class DepartamentoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Departamento

    codigo = factory.Sequence(lambda n: f"D{n:03d}")
    nombre = factory.Sequence(lambda n: f"Departamento {n}")


class CasoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Caso

    asunto = factory.Sequence(lambda n: f"Caso de prueba {n}")
    cliente = factory.SubFactory(ClienteFactory)
    fecha_inicio = datetime.date(2026, 3, 1)


class ActividadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Actividad

    caso = factory.SubFactory(CasoFactory)
    fecha = factory.LazyAttribute(lambda o: o.caso.fecha_inicio)
    hora_inicio = datetime.time(9, 0)
    hora_fin = datetime.time(10, 0)
    descripcion = factory.Sequence(lambda n: f"Actividad {n}")
    ejecutor = factory.SubFactory(EjecutorFactory)
