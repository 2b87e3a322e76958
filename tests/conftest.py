import pytest

from tests.factories import UserFactory


@pytest.fixture
def soporte(db):
    """A user of the Soporte group."""
    return UserFactory(username="soporte", grupos=["Soporte"])


@pytest.fixture
def coordinador(db):
    return UserFactory(username="coordinador", grupos=["Coordinador"])


@pytest.fixture
def sin_grupo(db):
    """A logged-in user with no permissions at all."""
    return UserFactory(username="nadie")


@pytest.fixture
def cliente_soporte(client, soporte):
    """The test client, logged in as a Soporte user."""
    client.force_login(soporte)
    return client


@pytest.fixture
def cliente_coordinador(client, coordinador):
    client.force_login(coordinador)
    return client
