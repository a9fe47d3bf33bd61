"""pairbook: a collaborative pairing and mob-programming server for Jupyter notebooks."""

__version__ = "0.1.0"
