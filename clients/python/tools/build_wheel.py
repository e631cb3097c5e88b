"""Builds the runclinic wheel: the Python client with the server binary and its image library.

    python build_wheel.py --binary-dir .build/static/release --out dist

The binary should be built with the Swift standard library and Foundation linked statically
(`make wheel` does); it is checked here: nothing it loads may come from the Swift toolchain. The
wheel is tagged py3-none-manylinux_<glibc>_<arch> for the C library the binary was linked against.
"""

import argparse
import os
import pathlib
import platform
import re
import shutil
import subprocess
import sys
import tempfile

CLIENT = pathlib.Path(__file__).resolve().parents[1]
SHIPPED = ["runclinic", "libRunclinicImageInspection.so"]


def needed_libraries(binary):
    """What the dynamic loader resolves for `binary`, as (name, path) pairs (ldd)."""
    output = subprocess.run(["ldd", str(binary)], check=True, capture_output=True, text=True).stdout
    pairs = []
    for line in output.splitlines():
        match = re.match(r"\s*(\S+)\s+=>\s+(\S+)", line)
        if match:
            pairs.append((match.group(1), match.group(2)))
    return pairs


def glibc_tag(binary):
    """manylinux_X_Y_arch for the newest GLIBC_X.Y symbol version the binary asks for."""
    output = subprocess.run(["objdump", "-T", str(binary)], check=True, capture_output=True, text=True).stdout
    versions = {tuple(map(int, found)) for found in re.findall(r"GLIBC_(\d+)\.(\d+)", output)}
    major, minor = max(versions)
    return f"manylinux_{major}_{minor}_{platform.machine()}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary-dir", required=True, type=pathlib.Path)
    parser.add_argument("--out", required=True, type=pathlib.Path)
    arguments = parser.parse_args()
    binary = arguments.binary_dir / "runclinic"
    toolchain = [path for name, path in needed_libraries(binary) if "swift" in path or name.startswith("libswift")
                 or name.startswith("libFoundation") or name.startswith("libdispatch")]
    if toolchain:
        sys.exit(f"{binary} loads the Swift toolchain's libraries ({', '.join(toolchain)}): "
                 "build it with --static-swift-stdlib")
    tag = glibc_tag(binary)
    with tempfile.TemporaryDirectory() as directory:
        staging = pathlib.Path(directory) / "runclinic-wheel"
        shutil.copytree(CLIENT, staging, ignore=shutil.ignore_patterns(
            "tests", "tools", "examples", "*.egg-info", "__pycache__", "build", "dist", "bin"))
        bundled = staging / "runclinic" / "bin"
        bundled.mkdir()
        for name in SHIPPED:
            shutil.copy2(arguments.binary_dir / name, bundled / name)
        if shutil.which("strip"):
            subprocess.run(["strip", "--strip-unneeded", str(bundled / "runclinic")], check=True)
        arguments.out.mkdir(parents=True, exist_ok=True)
        built = pathlib.Path(directory) / "built"
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                        "--disable-pip-version-check", "-q", "-w", str(built), str(staging)], check=True)
        (plain,) = built.glob("runclinic-*.whl")
        # The client is pure Python, but the wheel carries a Linux binary: say which Linux.
        subprocess.run([sys.executable, "-m", "wheel", "tags", "--python-tag", "py3", "--abi-tag", "none",
                        "--platform-tag", tag, "--remove", str(plain)], check=True, capture_output=True)
        (tagged,) = built.glob("runclinic-*.whl")
        target = arguments.out / tagged.name
        shutil.move(str(tagged), target)
    print(f"{target} ({target.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
