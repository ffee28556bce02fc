"""Piccolo's configuration hook (PICCOLO_CONF). `DB` is resolved lazily, so importing this builds nothing."""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

APP_REGISTRY = AppRegistry(apps=["bookreader.core.piccolo_app"])


def __getattr__(name: str) -> PostgresEngine:
    if name == "DB":
        from bookreader.core.db import get_engine

        return get_engine()
    raise AttributeError(name)
