"""The container image's recipe, checked without Docker (issue 14, part 2): what the Dockerfile
copies exists and is not excluded by .dockerignore, it runs as a non-root user with the console
script as entrypoint, and a wheel install (`pip install .`, as in the image) carries every data
file raqib reads at run time — a file outside the package-data globs exists only in a checkout."""

from __future__ import annotations

import fnmatch
import re
import tomllib

from tests.conftest import REPO


def _final_stage(dockerfile: str) -> list[str]:
    stages = re.split(r"(?im)^FROM\s", dockerfile)
    return [line.strip() for line in stages[-1].splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_wheel_package_data_holds_every_runtime_data_file():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]
    missing = []
    for package, folder in (("bot", "data"), ("storage", "migrations")):
        root = REPO / package
        for path in (root / folder).rglob("*"):
            if path.is_dir() or "__pycache__" in path.parts or path.suffix in (".pyc", ".mako"):
                continue  # .mako: Alembic's template for writing a new migration, never read at run time
            relative = path.relative_to(root).as_posix()
            if path.suffix == ".py" and (path.parent / "__init__.py").exists():
                continue  # a module of a package: packaged as code
            if not any(fnmatch.fnmatch(relative, g) for g in globs.get(package, [])):
                missing.append(f"{package}/{relative}")
    assert missing == [], f"not in [tool.setuptools.package-data]: {missing}"


def test_dockerfile_copies_what_exists_and_runs_raqib_as_a_user():
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    ignored = [line.strip() for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")]
    for line in dockerfile.splitlines():
        m = re.match(r"^COPY\s+(?!--from)(.+)\s+\S+$", line.strip())
        if not m:
            continue
        for source in m.group(1).split():
            assert (REPO / source).exists(), f"Dockerfile copies {source}, which is not in the repo"
            assert not any(fnmatch.fnmatch(source, pattern) for pattern in ignored), f"{source} is in .dockerignore"
    final = _final_stage(dockerfile)
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert 'ENTRYPOINT ["raqib"]' in final
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts.get("raqib") == "bot.cli.main:main"
    assert any(line.startswith("VOLUME") and "/data" in line for line in final)
    assert any("--no-cache-dir" in line for line in final if line.startswith("RUN pip"))
