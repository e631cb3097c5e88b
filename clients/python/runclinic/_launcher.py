"""The `runclinic` command a pip install puts on the venv's PATH: it runs the server binary the
wheel carries (runclinic/bin/runclinic). Installed from source without one, it runs the next
`runclinic` on PATH, or says how to get one."""

import os
import shutil
import sys
from typing import NoReturn, Optional


def bundled_binary() -> Optional[str]:
    """The binary inside this package, when this install came from the wheel."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "runclinic")
    return path if os.access(path, os.X_OK) else None


def _other_on_path() -> Optional[str]:
    """A `runclinic` server on PATH: an executable (ELF), not a launcher script like this one's."""
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        candidate = shutil.which("runclinic", path=directory) if directory else None
        if candidate:
            try:
                with open(candidate, "rb") as stream:
                    if stream.read(4) == b"\x7fELF":
                        return candidate
            except OSError:
                continue
    return None


def main() -> NoReturn:
    binary = bundled_binary() or _other_on_path()
    if binary is None:
        sys.stderr.write("runclinic: this install carries no server binary (installed from source?): install the "
                         "wheel (`make wheel`), or build the server (`make release`) and put it on PATH\n")
        raise SystemExit(127)
    os.execv(binary, [binary, *sys.argv[1:]])
