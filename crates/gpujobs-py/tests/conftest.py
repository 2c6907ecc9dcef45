import pytest

from gpujobs.testing import sandbox


@pytest.fixture
def sb():
    with sandbox(empty=True) as running:
        yield running
