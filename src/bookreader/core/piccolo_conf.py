"""Piccolo's configuration hook (PICCOLO_CONF). `DB` is resolved lazily, so importing this builds nothing."""

from piccolo.conf.apps import AppRegistry

APP_REGISTRY = AppRegistry(apps=["bookreader.core.piccolo_app"])


def __getattr__(name: str):
    if name == "DB":
        from bookreader.core.db import get_engine

        return get_engine()
    raise AttributeError(name)
