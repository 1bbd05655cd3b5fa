"""Console tests read the interface in English (the site's default language is Spanish)."""

import pytest


@pytest.fixture(autouse=True)
def english_client(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
