"""The server keeps accounts and nothing else: no post, comment, friend list or photo."""

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db

ALLOWED_APPS = {"auth", "account", "sessions", "admin", "contenttypes"}
# allauth's "account" app owns these; auth, sessions, admin and contenttypes are Django's own.
ALLOWED_TABLE_PREFIXES = ("auth_", "account_", "django_session", "django_admin_log", "django_content_type")
BOOKKEEPING_TABLES = {"django_migrations"}


def test_every_model_belongs_to_an_account_app():
    for model in apps.get_models(include_auto_created=True):
        assert model._meta.app_label in ALLOWED_APPS, f"{model._meta.label} stores something beyond accounts"


def test_every_table_after_migrations_is_an_account_table():
    tables = set(connection.introspection.table_names()) - BOOKKEEPING_TABLES
    assert tables, "no tables: migrations did not run"
    strays = sorted(t for t in tables if not t.startswith(ALLOWED_TABLE_PREFIXES))
    assert strays == [], f"tables beyond accounts: {strays}"
