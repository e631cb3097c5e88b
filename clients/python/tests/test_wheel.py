"""The wheel (`make wheel`) as a user without a Swift toolchain meets it: pip install into a fresh
venv, then a monitored run, an analysis and a comparison with no RUNCLINIC_BIN, and PATH and
LD_LIBRARY_PATH holding nothing of the toolchain."""

import json
import os
import pathlib
import subprocess
import sys
import textwrap
import venv

import pytest

from images import png, textured

WHEEL = os.environ.get("RUNCLINIC_WHEEL")

pytestmark = pytest.mark.skipif(not WHEEL, reason="set RUNCLINIC_WHEEL to a built wheel (make test builds one)")

SCRIPT = textwrap.dedent("""
    import json, math, os, shutil, sys
    import runclinic
    from runclinic import Client, Monitor
    from runclinic.client import find_binary

    db, images = sys.argv[1], sys.argv[2]
    found = {"binary": find_binary(), "on_path": shutil.which("runclinic")}
    for name, lr in [("blowup", 1.0), ("steady", 0.01)]:
        with Monitor(name, project="wheel", config={"lr": lr}, db=db) as monitor:
            loss = 1.0
            for step in range(200):
                loss = loss * (0.98 if name == "steady" or step < 120 else 1.6)
                monitor.log({"train/loss": loss if loss < 1e6 else float("nan"), "val/accuracy": 1 / (1 + loss)},
                            step=step)
    with Client.spawn(db=db) as client:
        analysis = client.analyze("blowup", project="wheel")
        comparison = client.compare(["blowup", "steady"], project="wheel", metric="val/accuracy")
        audit = client.audit(images)
    print(json.dumps({"found": found, "primary": analysis["primary"], "key_finding": analysis["key_finding"],
                      "best": comparison["best"], "audit": audit["counts"], "images": audit["images"]}))
""")


def test_the_wheel_installs_and_serves_without_the_swift_toolchain(tmp_path, binary):
    wheel = pathlib.Path(WHEEL)
    assert wheel.name.startswith("runclinic-") and "-py3-none-manylinux_" in wheel.name
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    python = environment / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-index", "--disable-pip-version-check",
                    str(wheel)], check=True)
    # What a machine without the toolchain has: the venv and the system's folders.
    clean = {key: value for key, value in os.environ.items()
             if key not in ("RUNCLINIC_BIN", "LD_LIBRARY_PATH", "PYTHONPATH", "RUNCLINIC_IMAGE_LIBRARY")}
    clean["PATH"] = os.pathsep.join([str(environment / "bin"), "/usr/local/bin", "/usr/bin", "/bin"])
    installed = next((environment / "lib").glob("python3*/site-packages/runclinic/bin/runclinic"))
    loaded = subprocess.run(["ldd", str(installed)], capture_output=True, text=True, env=clean, check=True).stdout
    assert "swift" not in loaded.lower() and "not found" not in loaded, loaded
    assert (installed.parent / "libRunclinicImageInspection.so").exists()
    version = subprocess.run(["runclinic", "--version"], capture_output=True, text=True, env=clean, check=True)
    assert version.stdout.strip()
    images = tmp_path / "images"
    images.mkdir()
    png(images / "dark.png", 256, 256, lambda x, y: textured(x, y) // 16)
    png(images / "fine.png", 256, 256, textured)
    script = tmp_path / "use_wheel.py"
    script.write_text(SCRIPT)
    done = subprocess.run([str(python), str(script), str(tmp_path / "runs.db"), str(images)], capture_output=True,
                          text=True, env=clean, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout.strip().splitlines()[-1])
    assert said["found"]["binary"] == str(installed)
    assert said["found"]["on_path"] == str(environment / "bin" / "runclinic")
    assert said["primary"]["hypothesis"]["cause"] in ("non_finite", "divergence", "learning_rate"), said["primary"]
    assert said["best"]["runs"] == ["steady"]
    assert said["images"] == 2 and said["audit"].get("dark") == 1, said["audit"]
