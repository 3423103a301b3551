"""Root conftest: pytester for the end-to-end tests (they run pytest on generated catalogs)."""

pytest_plugins = ["pytester"]
