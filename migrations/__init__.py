"""The hand-written SQL migrations, one module each (core/migrations.py runs them; Piccolo skips this file).
A package so that importlib.resources finds the folder, installed or not (see core/resources.py)."""
