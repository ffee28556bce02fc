"""static/ and migrations/ stay top-level folders of the repository (the layout names them there); the wheel
ships them inside the package as `bookreader.static` and `bookreader.migrations`, read with importlib.resources.
Everything else about the build is in pyproject.toml."""

from setuptools import find_namespace_packages, setup

DATA_PACKAGES = {"bookreader.static": "static", "bookreader.migrations": "migrations"}

setup(
    packages=[*find_namespace_packages("src", include=["bookreader*"]), *DATA_PACKAGES],
    package_dir={"": "src", **DATA_PACKAGES},
)
