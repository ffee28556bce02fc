"""The Piccolo app: the migrations folder. Migrations are raw SQL (core/migrations.py), so Piccolo needs no
table classes here; the domains' tables are bound to the engine by `core.db` (the app hands them in)."""

import os

from piccolo.conf.apps import AppConfig

from bookreader.core.resources import migrations_dir

APP_CONFIG = AppConfig(
    app_name="bookreader",
    migrations_folder_path=os.environ.get("BOOKREADER_MIGRATIONS_DIR_RESOLVED", str(migrations_dir())),
)
