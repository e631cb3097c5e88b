"""Python client for runclinic: spawn or connect to the server, log runs, read them back."""

from .errors import RPCError, ServerGone
from .client import Client
from .monitor import Action, Monitor

__all__ = ["Action", "Client", "Monitor", "RPCError", "ServerGone"]
__version__ = "0.1.0"
