"""Callbacks that monitor a run from the frameworks' own training loops and apply the server's
advice: `runclinic.integrations.huggingface`, `.lightning`, `.keras`. Each module imports its
framework only when it is imported itself; the client's core stays standard library only."""
