"""BookReader: a self-hosted reader for fiction that illustrates itself."""

__version__ = "0.1.0"
