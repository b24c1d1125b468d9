"""Handles are unique case-insensitively, enforced by the database too (the form check alone races).

An expression index on auth_user keeps the account in Django's own table, so the database
holds nothing but what auth, allauth and sessions need.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        migrations.RunSQL(
            sql="CREATE UNIQUE INDEX accounts_handle_casefold_uniq ON auth_user (LOWER(username));",
            reverse_sql="DROP INDEX accounts_handle_casefold_uniq;",
        )
    ]
