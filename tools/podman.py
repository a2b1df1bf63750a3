"""podman with the project's settings (.ci/containers.conf, .ci/storage.conf) unless the caller chose others."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE_IMAGE = os.environ.get("ACTORS_BASE_IMAGE", "localhost/trixie-base")


def env() -> dict[str, str]:
    result = dict(os.environ)
    result.setdefault("CONTAINERS_CONF", str(ROOT / ".ci" / "containers.conf"))
    result.setdefault("CONTAINERS_STORAGE_CONF", str(ROOT / ".ci" / "storage.conf"))
    return result


def podman(*args: str, check: bool = True, capture: bool = True, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], env=env(), check=check, text=True, capture_output=capture, **kwargs)


def build(tag: str, target: str | None = None, context: Path = ROOT / "app") -> None:
    args = [
        "build",
        "--quiet",
        "--format",
        "docker",
        "--platform",
        "linux/amd64",
        "--build-arg",
        f"BASE_IMAGE={BASE_IMAGE}",
        "-t",
        tag,
    ]
    if target:
        args += ["--target", target]
    result = podman(*args, str(context), check=False)
    if result.returncode != 0:
        raise SystemExit(f"podman build {tag} failed:\n{result.stderr[-4000:]}")
