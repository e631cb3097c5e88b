"""The Neovim plugin (clients/nvim), headless against a trainer's real server: attached to its
socket, a NaN the trainer logs reaches the quickfix list; a bad batch's images are openable there;
:Runclinic runs lists the runs and :Runclinic analyze opens the report in a split."""

import json
import math
import pathlib
import shutil
import subprocess
import time

import pytest

from conftest import wait_for_socket
from runclinic import Client

PLUGIN = pathlib.Path(__file__).resolve().parents[2] / "nvim"


def nvim():
    path = shutil.which("nvim")
    if not path:
        pytest.fail("no Neovim: `make test` installs Debian's neovim package")
    return path


def start_nvim(script, tmp_path):
    """Neovim headless with only the plugin on its runtime path, running a Lua script."""
    driver = tmp_path / "driver.lua"
    driver.write_text(script)
    return subprocess.Popen(
        [nvim(), "--headless", "--clean", "-n", "--cmd", f"set rtp^={PLUGIN}", "--cmd", f"runtime plugin/runclinic.lua",
         "-c", f"luafile {driver}"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_file(path, timeout=20):
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear")
        time.sleep(0.02)


@pytest.fixture
def trainer_server(binary, db, short_tmp):
    path = short_tmp / "trainer.sock"
    server = subprocess.Popen([binary, "serve", "--db", str(db), "--socket", str(path)], stderr=subprocess.DEVNULL)
    wait_for_socket(path)
    yield path
    server.terminate()
    server.wait(10)


def test_an_alert_reaches_the_quickfix_list_with_its_advice_and_images(trainer_server, tmp_path):
    ready, out = tmp_path / "ready", tmp_path / "quickfix.json"
    script = f"""
        local runclinic = require('runclinic')
        assert(runclinic.attach('{trainer_server}'))
        vim.fn.writefile({{'ready'}}, '{ready}')
        local got = vim.wait(20000, function() return #vim.fn.getqflist() >= 3 end, 20)
        local items = {{}}
        for _, item in ipairs(vim.fn.getqflist()) do
          table.insert(items, {{ text = item.text, file = item.bufnr > 0 and vim.api.nvim_buf_get_name(item.bufnr) or '', type = item.type }})
        end
        vim.fn.writefile({{vim.json.encode({{ got = got, items = items, title = vim.fn.getqflist({{title = 1}}).title }})}}, '{out}')
        runclinic.detach()
        vim.cmd('qall!')
    """
    editor = start_nvim(script, tmp_path)
    try:
        wait_for_file(ready)
        with Client.connect(trainer_server) as trainer:
            run = trainer.call("run.start", name="watched")["run_id"]
            for step in range(3):
                trainer.call("monitor.log", run=run, step=step, metrics={"train/loss": 1.0 / (step + 1)})
            trainer.call("monitor.log", run=run, step=3, metrics={"train/loss": math.nan})
            # A batch far below its peers: a problematic batch, with the images it held.
            # (judged once the step's batches are all in: at the next step's first batch)
            for step in (10, 20, 30, 40):
                for batch in range(8):
                    recall = 0.2 if (step >= 30 and batch == 5) else 0.9 + 0.001 * batch + 0.0002 * step
                    trainer.call("monitor.batch", run=run, step=step, batch=batch, metrics={"recall": recall},
                                 samples=[f"/data/val/{batch}/{i}.jpg" for i in range(2)])
        wait_for_file(out, timeout=40)
        editor.wait(20)
    finally:
        if editor.poll() is None:
            editor.kill()
    result = json.loads(out.read_text())
    assert result["got"] and result["title"] == "runclinic alerts"
    texts = [item["text"] for item in result["items"]]
    nan = next(text for text in texts if "NaN" in text)
    assert "run watched" in nan and "step 3" in nan and "train/loss" in nan and "[critical]" in nan
    assert "→ rollback" in nan or "→ stop" in nan
    files = [item["file"] for item in result["items"] if item["file"]]
    assert "/data/val/5/0.jpg" in files and "/data/val/5/1.jpg" in files, result["items"]


def test_runs_and_analyze_open_in_splits(binary, db, trainer_server, tmp_path):
    with Client.connect(trainer_server) as trainer:
        run = trainer.call("run.start", name="failing", project="vision")["run_id"]
        for step in range(120):
            trainer.call("monitor.log", run=run, step=step, metrics={"train/loss": math.nan if step >= 90 else 2.0 / (step + 1)})
    out = tmp_path / "out.json"
    script = f"""
        local runclinic = require('runclinic')
        vim.cmd('Runclinic attach {trainer_server}')
        vim.cmd('Runclinic runs')
        local listing = vim.api.nvim_buf_get_lines(0, 0, -1, false)
        vim.cmd('Runclinic analyze failing')
        local report = vim.api.nvim_buf_get_name(0)
        local text = vim.api.nvim_buf_get_lines(0, 0, -1, false)
        local _, refused = pcall(vim.cmd, 'Runclinic analyze nobody')
        local messages = tostring(refused)
        vim.fn.writefile({{vim.json.encode({{ listing = listing, report = report, text = table.concat(text, '\\n'),
          windows = #vim.api.nvim_list_wins(), messages = messages }})}}, '{out}')
        vim.cmd('Runclinic detach')
        vim.cmd('qall!')
    """
    editor = start_nvim(script, tmp_path)
    try:
        editor.wait(120)
    finally:
        if editor.poll() is None:
            editor.kill()
    result = json.loads(out.read_text())
    assert any("failing" in line and "vision" in line for line in result["listing"])
    assert result["report"].endswith(".md") and result["windows"] >= 3
    assert "NaN" in result["text"] and "failing" in result["text"]
    assert "nobody" in result["messages"]
