import pytest
from django.conf import settings
from django.utils import translation

from civicgrid.core import process_cache
from civicgrid.regions.geo import grid_index
from tests.factories import Tree


@pytest.fixture
def tree(db) -> Tree:
    """A small real region tree (two streets, four grids) with staff; see tests.factories.Tree."""
    grid_index.invalidate()
    return Tree()


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    # The manifest storage needs collectstatic; tests serve static files straight from the finders.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_grid_index():
    yield
    grid_index.invalidate()
    process_cache.clear_all()


@pytest.fixture(autouse=True)
def _default_language():
    # LocaleMiddleware activates a language per request and never deactivates it, so a test that asked for English
    # would leave English active in this thread for whatever test runs next in it.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
