"""Multilingual AI co-host for cross-border live commerce."""

from assistant.logs import install_logger_class

__version__ = "0.1.0"

# Before any submodule makes its logger: a log call's fields can never break a reply.
install_logger_class()
