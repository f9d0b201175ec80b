"""Container packaging, checked without a Docker engine.

The compose file is validated against the Compose Specification schema, and the Dockerfile,
compose file, entrypoint and .dockerignore are checked against the code they start: the
modules they name import, the environment they set is what settings read, the entrypoint
really waits for the database.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import importlib
import importlib.metadata
import inspect
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import dj_database_url
import jsonschema
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
DOCKER_DIR = ROOT / "docker"
DOCKERFILE = DOCKER_DIR / "Dockerfile"
COMPOSE_FILE = DOCKER_DIR / "compose.yaml"
ENTRYPOINT = DOCKER_DIR / "entrypoint.sh"
DOCKERIGNORE = ROOT / ".dockerignore"
# A copy of the compose-spec project's schema; tests/data/README.md gives its origin.
COMPOSE_SPEC = ROOT / "tests" / "data" / "compose-spec.json"
COMPOSE_SPEC_PROVENANCE = COMPOSE_SPEC.parent / "README.md"

APP_SERVICES = ("web", "worker", "beat")
APP_ENV_REQUIRED = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}
SUBPROCESS_TIMEOUT = 120


# --- helpers -----------------------------------------------------------------------------


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuations joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, args = line.partition(" ")
        instructions.append((keyword.upper(), args.strip()))
    assert not pending, "Dockerfile ends inside a line continuation"
    return instructions


def _exec_form(instruction: str) -> list[str]:
    """The JSON (exec) form of the only CMD/ENTRYPOINT; shell form would break signals."""
    values = [args for keyword, args in _dockerfile_instructions() if keyword == instruction]
    assert len(values) == 1, f"expected exactly one {instruction}, found {len(values)}"
    assert values[0].startswith("["), f"{instruction} must use the exec form, not {values[0]!r}"
    return json.loads(values[0])


def _image_path_to_repo(path: str) -> Path:
    """The repository file that ends up at ``path`` through ``WORKDIR`` + ``COPY . .``."""
    workdir = None
    for keyword, args in _dockerfile_instructions():
        if keyword == "WORKDIR":
            workdir = PurePosixPath(args)
        if keyword == "COPY" and args.split() == [".", "."]:
            break
    else:
        pytest.fail("the Dockerfile never copies the build context (COPY . .)")
    assert workdir is not None, "COPY . . runs before any WORKDIR"
    relative = PurePosixPath(path).relative_to(workdir)
    return ROOT / relative


def _dockerignore_patterns() -> list[str]:
    lines = [line.strip() for line in DOCKERIGNORE.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Docker's matcher: Go filepath.Match per segment, plus ``**`` for any depth."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out += "[" + pattern[i + 1 : end].replace("!", "^", 1) + "]"
            i = end + 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


def _is_ignored(path: str, patterns: list[str]) -> bool:
    """Whether Docker leaves ``path`` (relative, POSIX) out of the build context.

    A pattern that matches a directory excludes everything under it; the last matching
    pattern wins, and ``!`` re-includes.
    """
    parts = PurePosixPath(path).parts
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        cleaned = os.path.normpath(pattern.lstrip("!").strip()).lstrip("/")
        regex = _pattern_regex(cleaned)
        if any(regex.fullmatch(candidate) for candidate in candidates):
            ignored = not negate
    return ignored


def _compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def _service_env(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the "KEY=value" list form
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


_VARIABLE = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$(?P<bare>[A-Za-z_]\w*)"
)


def _interpolate(text: str, variables: dict[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}`` substitution."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        value = variables.get(name)
        missing = value is None or (value == "" and op is not None and op.startswith(":"))
        if op in (":-", "-") and missing:
            return arg
        if op in (":?", "?") and missing:
            raise LookupError(f"{name} is required: {arg}")
        return value or ""

    return _VARIABLE.sub(substitute, text)


def _subprocess_env(**overrides: str) -> dict[str, str]:
    """A clean environment: the venv first on PATH and no inherited DATABASE_URL/REDIS_URL."""
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "symbiosis.settings",
    }
    env.update(overrides)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT
    )


def _dockerfile_env() -> dict[str, str]:
    """The image's environment from its ENV instructions (the ``KEY=value`` form)."""
    env: dict[str, str] = {}
    for keyword, args in _dockerfile_instructions():
        if keyword == "ENV":
            env.update(pair.split("=", 1) for pair in shlex.split(args))
    return env


def _image_user() -> tuple[str, set[str]]:
    """The uid the image runs as, and every name it goes by (uid, user name)."""
    instructions = _dockerfile_instructions()
    uid = [args for keyword, args in instructions if keyword == "USER"][-1].split(":")[0]
    runs = " && ".join(args for keyword, args in instructions if keyword == "RUN")
    names = {uid}
    for useradd in re.findall(r"useradd ([^&;]+)", runs):
        words = shlex.split(useradd)
        if "--uid" in words and words[words.index("--uid") + 1] == uid:
            names.add(words[-1])
    return uid, names


def _app_services() -> dict[str, dict]:
    """The services built from the repository's Dockerfile: each runs the code."""
    services = _compose()["services"]
    return {
        name: service
        for name, service in services.items()
        if "build" in service
        and (COMPOSE_FILE.parent / service["build"]["context"] / service["build"]["dockerfile"])
        .resolve() == DOCKERFILE.resolve()
    }


def _volume_mounts(service: dict) -> list[tuple[str, str, bool]]:
    """(source, target, read_only) of each volume, in the short or the long syntax."""
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target, *options = volume.split(":")
            mounts.append((source, target, "ro" in ",".join(options).split(",")))
        else:
            mounts.append((volume.get("source", ""), volume["target"],
                           bool(volume.get("read_only"))))
    return mounts


def _declared_distributions() -> set[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {
        canonicalize_name(Requirement(dep).name) for dep in pyproject["project"]["dependencies"]
    }


def _schema_uri_key(uri: str) -> str:
    # Drafts are declared as http or https, with or without the empty fragment.
    return re.sub(r"^https?://", "", uri.strip()).rstrip("#").rstrip("/")


@functools.cache
def _compose_validator():
    """A validator for the draft the Compose Specification schema declares."""
    schema = json.loads(COMPOSE_SPEC.read_text())
    declared = schema.get("$schema")
    assert declared, f"{COMPOSE_SPEC} declares no $schema draft"
    drafts = (
        jsonschema.Draft4Validator,
        jsonschema.Draft6Validator,
        jsonschema.Draft7Validator,
        jsonschema.Draft201909Validator,
        jsonschema.Draft202012Validator,
    )
    for validator_class in drafts:
        if _schema_uri_key(validator_class.META_SCHEMA["$schema"]) == _schema_uri_key(declared):
            validator_class.check_schema(schema)
            return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    pytest.fail(f"{COMPOSE_SPEC} declares $schema {declared!r}, which jsonschema does not know")


def _schema_errors(validator, document: dict) -> list[str]:
    errors = sorted(validator.iter_errors(document), key=lambda error: list(error.path))
    return [f"{'/'.join(map(str, error.path)) or '<root>'}: {error.message}" for error in errors]


# --- compose.yaml ------------------------------------------------------------------------


def test_compose_file_conforms_to_the_compose_specification():
    assert _schema_errors(_compose_validator(), _compose()) == []


def _ports_not_a_list(doc):
    doc["services"]["web"]["ports"] = "abc"


def _unknown_top_level_key(doc):
    doc["servics"] = {}


def _misspelled_service_key(doc):
    doc["services"]["worker"]["enviroment"] = doc["services"]["worker"].pop("environment")


def _unknown_depends_on_condition(doc):
    doc["services"]["web"]["depends_on"]["postgres"]["condition"] = "service_ready"


@pytest.mark.parametrize(
    "mutate",
    [
        _ports_not_a_list,
        _unknown_top_level_key,
        _misspelled_service_key,
        _unknown_depends_on_condition,
    ],
)
def test_schema_validation_rejects_a_broken_compose_file(mutate):
    broken = copy.deepcopy(_compose())
    mutate(broken)
    assert _schema_errors(_compose_validator(), broken), f"{mutate.__name__} passed validation"


def test_compose_schema_is_the_copy_its_provenance_note_describes():
    note = COMPOSE_SPEC_PROVENANCE.read_text()
    section = note[note.index("## `compose-spec.json`") :]
    recorded = re.search(r"sha256: `([0-9a-f]{64})`", section)
    assert recorded, f"{COMPOSE_SPEC_PROVENANCE} gives no sha256 for {COMPOSE_SPEC.name}"
    assert "Apache License 2.0" in section and "compose-spec/compose-spec" in section
    assert hashlib.sha256(COMPOSE_SPEC.read_bytes()).hexdigest() == recorded.group(1)


def test_docker_tests_read_nothing_outside_the_repository():
    for path in (COMPOSE_SPEC, COMPOSE_FILE, DOCKERFILE, ENTRYPOINT, DOCKERIGNORE):
        assert path.resolve().is_relative_to(ROOT), f"{path} lies outside the repository"


def test_compose_defines_postgres_redis_web_worker_and_beat():
    assert {"postgres", "redis", *APP_SERVICES} <= set(_compose()["services"])


def test_backing_services_use_pinned_images_with_healthchecks_and_a_named_volume():
    compose = _compose()
    services = compose["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    for name in ("postgres", "redis"):
        check = services[name].get("healthcheck", {})
        test = check.get("test")
        assert test and test not in (["NONE"], "NONE"), f"{name} has no healthcheck"
        assert not check.get("disable"), f"{name} disables its healthcheck"
    pg_check = " ".join(services["postgres"]["healthcheck"]["test"])
    pg_env = _service_env(services["postgres"])
    assert "pg_isready" in pg_check
    assert pg_env["POSTGRES_USER"] in pg_check and pg_env["POSTGRES_DB"] in pg_check

    data_mounts = [
        volume.split(":")[0]
        for volume in services["postgres"].get("volumes", [])
        if isinstance(volume, str) and volume.split(":")[1] == "/var/lib/postgresql/data"
    ]
    assert len(data_mounts) == 1, "postgres data directory is not on a volume"
    assert data_mounts[0] in (compose.get("volumes") or {}), "postgres data volume is not named"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_builds_from_the_repository_dockerfile(name):
    build = _compose()["services"][name]["build"]
    context = (COMPOSE_FILE.parent / build["context"]).resolve()
    assert context == ROOT
    assert (context / build["dockerfile"]).resolve() == DOCKERFILE.resolve()


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_starts_after_postgres_and_redis_are_healthy(name):
    services = _compose()["services"]
    depends_on = services[name]["depends_on"]
    for backend in ("postgres", "redis"):
        assert depends_on[backend]["condition"] == "service_healthy"
        assert "healthcheck" in services[backend]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_environment_is_complete_and_read_by_the_code(name):
    env = _service_env(_compose()["services"][name])
    assert APP_ENV_REQUIRED <= set(env), f"{name} lacks {APP_ENV_REQUIRED - set(env)}"

    # A misspelt name (DATABASE_URI) would silently fall back to the SQLite default.
    settings_source = (ROOT / "symbiosis" / "settings.py").read_text()
    readers = set(re.findall(r"env_\w+\(\s*\"(\w+)\"", settings_source))
    readers |= set(re.findall(r"os\.environ\.get\(\"(\w+)\"", ENTRYPOINT.read_text()))
    readers |= set(re.findall(r"\$\{(\w+):-", ENTRYPOINT.read_text()))
    import gunicorn.config

    if "WEB_CONCURRENCY" in inspect.getsource(gunicorn.config):
        readers.add("WEB_CONCURRENCY")
    assert set(env) - readers == set(), "variables nothing reads"

    with pytest.raises(LookupError, match="SECRET_KEY"):
        _interpolate(env["SECRET_KEY"], {})  # compose refuses to start without a real key


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_urls_point_at_the_compose_backends(name):
    services = _compose()["services"]
    env = _service_env(services[name])
    pg_env = _service_env(services["postgres"])

    database = dj_database_url.parse(env["DATABASE_URL"])
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"]) == ("postgres", 5432)
    assert database["USER"] == pg_env["POSTGRES_USER"]
    assert database["PASSWORD"] == pg_env["POSTGRES_PASSWORD"]
    assert database["NAME"] == pg_env["POSTGRES_DB"]

    redis = urlsplit(env["REDIS_URL"])
    assert (redis.scheme, redis.hostname, redis.port or 6379) == ("redis", "redis", 6379)


_SETTINGS_PROBE = """
import json
import django
django.setup()
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": settings.SECRET_KEY,
    "ENGINE": db["ENGINE"],
    "HOST": db["HOST"],
    "BROKER": settings.CELERY_BROKER_URL,
    "EAGER": settings.CELERY_TASK_ALWAYS_EAGER,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "MODEL_DIR": str(settings.MATCH_MODEL_DIR),
}))
"""


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_environment_loads_production_settings(name):
    variables = {"SECRET_KEY": "compose-test-secret"}
    env = {
        key: _interpolate(value, variables)
        for key, value in _service_env(_compose()["services"][name]).items()
    }
    result = _run([sys.executable, "-c", _SETTINGS_PROBE], _subprocess_env(**env))
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["DEBUG"] is False
    assert loaded["SECRET_KEY"] == "compose-test-secret"
    assert (loaded["ENGINE"], loaded["HOST"]) == ("django.db.backends.postgresql", "postgres")
    assert loaded["BROKER"] == env["REDIS_URL"]
    assert loaded["EAGER"] is False, "tasks would run inside web instead of the worker"
    assert "localhost" in loaded["ALLOWED_HOSTS"]
    assert loaded["MODEL_DIR"] == env["MATCH_MODEL_DIR"]


def test_web_migrates_then_serves_the_wsgi_application_on_port_8000():
    web = _compose()["services"]["web"]
    command = web["command"]
    script = command[-1] if command[:2] == ["sh", "-c"] else shlex.join(command)
    assert "manage.py migrate" in script and "gunicorn" in script
    assert script.index("manage.py migrate") < script.index("gunicorn")

    gunicorn_args = shlex.split(script[script.index("gunicorn") :])
    module_name, _, attribute = gunicorn_args[1].partition(":")
    assert module_name == "symbiosis.wsgi"
    application = getattr(importlib.import_module(module_name), attribute or "application")
    assert callable(application)

    bind = gunicorn_args[gunicorn_args.index("--bind") + 1]
    assert bind.endswith(":8000")
    assert any(str(port).endswith(":8000") for port in web["ports"])


@pytest.mark.parametrize(("name", "subcommand"), [("worker", "worker"), ("beat", "beat")])
def test_celery_services_run_the_symbiosis_app(name, subcommand):
    from celery.app.utils import find_app

    import symbiosis

    command = _compose()["services"][name]["command"]
    assert command[0] == "celery"
    app_name = command[command.index("-A") + 1]
    assert find_app(app_name) is symbiosis.celery_app
    assert subcommand in command[command.index("-A") + 2 :]


def test_every_app_service_shares_one_writable_model_volume():
    """web fits models (load_demo, rematches) that the worker reads, and the other way round."""
    compose = _compose()
    services = _app_services()
    assert set(APP_SERVICES) <= set(services)
    volumes_used = set()
    for name, service in services.items():
        model_dir = _service_env(service).get("MATCH_MODEL_DIR")
        assert model_dir, f"{name} does not set MATCH_MODEL_DIR"
        assert model_dir == _service_env(services["web"])["MATCH_MODEL_DIR"]
        mounts = [mount for mount in _volume_mounts(service) if mount[1] == model_dir]
        assert len(mounts) == 1, f"{name}: no volume mounted at MATCH_MODEL_DIR {model_dir}"
        source, _, read_only = mounts[0]
        assert source in (compose.get("volumes") or {}), f"{name}: {source} is not a named volume"
        assert not read_only, f"{name} mounts its model directory read-only"
        volumes_used.add(source)
    assert len(volumes_used) == 1, f"app services keep models in different volumes: {volumes_used}"


def test_image_creates_the_model_directory_writable_by_its_user():
    model_dir = _service_env(_compose()["services"]["web"])["MATCH_MODEL_DIR"]
    image_env = _dockerfile_env()
    # `docker run` without compose uses the same folder, so the image works on its own too.
    assert image_env.get("MATCH_MODEL_DIR") == model_dir
    workdir = [args for keyword, args in _dockerfile_instructions() if keyword == "WORKDIR"][-1]
    assert not PurePosixPath(model_dir).is_relative_to(workdir), "the code directory is read-only"

    uid, user_names = _image_user()
    runs = " && ".join(args for keyword, args in _dockerfile_instructions() if keyword == "RUN")
    runs = _interpolate(runs, image_env)
    created = False
    for command in re.findall(r"\binstall -d [^&;]+", runs):
        words = shlex.split(command)
        if model_dir not in words:
            continue
        owner = words[words.index("-o") + 1] if "-o" in words else "root"
        mode = words[words.index("-m") + 1] if "-m" in words else "0755"
        created = created or (owner in user_names and int(mode, 8) & 0o700 == 0o700)
    assert created, f"no `install -d -o {uid} ... {model_dir}` leaves it writable by uid {uid}"


def _repository_files() -> dict[str, int]:
    """Every file of the working tree (not .git, .venv or caches) with its mtime in ns."""
    skip = {".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache"}
    found = {}
    for directory, subdirectories, files in os.walk(ROOT):
        subdirectories[:] = [name for name in subdirectories if name not in skip]
        for name in files:
            path = os.path.join(directory, name)
            found[path] = os.stat(path).st_mtime_ns
    return found


def test_load_demo_with_the_compose_environment_writes_only_to_the_model_directory(tmp_path):
    """The image's code directory is read-only: demo loading and matching must write their
    models to MATCH_MODEL_DIR and nowhere in the code."""
    variables = {"SECRET_KEY": "compose-test-secret"}
    env = {
        key: _interpolate(value, variables)
        for key, value in _service_env(_compose()["services"]["web"]).items()
    }
    assert env["MATCH_MODEL_DIR"]
    # No PostgreSQL, Redis or /var/lib here: SQLite, tasks in-process, the folder in tmp.
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
               MATCH_MODEL_DIR=str(tmp_path / "models"), PYTHONDONTWRITEBYTECODE="1")
    del env["REDIS_URL"]
    before = _repository_files()
    for command in (["migrate", "--noinput"], ["load_demo"]):
        result = _run([sys.executable, "manage.py", *command], _subprocess_env(**env))
        assert result.returncode == 0, result.stderr[-3000:]
    # The matching demo fits the first model; the register import's batch (a large share
    # of the region) refits once more. The current one is a model written there.
    models = list((tmp_path / "models").glob("*/*.pkl"))
    assert models
    current = (models[0].parent / "current").read_text()
    assert current in {model.stem for model in models}
    assert _repository_files() == before, "something was written into the code directory"


def test_beat_keeps_its_schedule_outside_the_read_only_code_directory():
    command = _compose()["services"]["beat"]["command"]
    schedule = [arg.split("=", 1)[1] for arg in command if arg.startswith("--schedule=")]
    assert schedule and schedule[0].startswith("/tmp/")


def test_beat_schedule_names_tasks_the_worker_knows():
    from django.conf import settings

    from symbiosis import celery_app

    celery_app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in celery_app.tasks, f"beat schedules unknown task {entry['task']}"


def test_service_commands_come_from_declared_dependencies():
    services = _compose()["services"]
    executables = {_exec_form("CMD")[0], "gunicorn"}
    executables |= {services[name]["command"][0] for name in ("worker", "beat")}
    declared = _declared_distributions()
    for executable in executables:
        scripts = importlib.metadata.entry_points(group="console_scripts", name=executable)
        providers = {canonicalize_name(script.dist.name) for script in scripts}
        assert providers & declared, f"{executable} comes from no pyproject dependency"


# --- Dockerfile --------------------------------------------------------------------------


def test_dockerfile_builds_on_python_311_slim():
    stages = [args for keyword, args in _dockerfile_instructions() if keyword == "FROM"]
    assert stages[-1].split()[0] == "python:3.11-slim"


def test_dockerfile_runs_as_an_unprivileged_user():
    instructions = _dockerfile_instructions()
    users = [index for index, (keyword, _) in enumerate(instructions) if keyword == "USER"]
    assert users, "the image would run as root"
    user = instructions[users[-1]][1].split(":")[0]
    assert user not in {"root", "0"}
    last_stage = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    assert users[-1] > last_stage, "USER is set in an earlier build stage only"


def test_dockerfile_installs_the_project_and_collects_static_files():
    runs = " && ".join(args for keyword, args in _dockerfile_instructions() if keyword == "RUN")
    assert re.search(r"pip install (--?\S+ )*\.(\s|$)", runs), "no `pip install .`"
    assert "manage.py collectstatic --noinput" in runs


def test_dockerfile_collectstatic_step_works_with_its_build_environment(tmp_path):
    runs = " && ".join(args for keyword, args in _dockerfile_instructions() if keyword == "RUN")
    match = re.search(r"((?:\w+=\S+ )*)python manage\.py collectstatic --noinput", runs)
    assert match, "collectstatic step not found"
    build_env = dict(pair.split("=", 1) for pair in match.group(1).split())
    # The image collects into STATIC_ROOT; here a temporary directory stands in for it.
    probe = (
        "import django, sys; django.setup()\n"
        "from django.conf import settings; from django.core.management import call_command\n"
        "settings.STATIC_ROOT = sys.argv[1]\n"
        "call_command('collectstatic', '--noinput', verbosity=0)\n"
    )
    result = _run([sys.executable, "-c", probe, str(tmp_path)], _subprocess_env(**build_env))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "admin").is_dir(), "no static files were collected"


def test_dockerfile_exposes_8000_and_serves_the_wsgi_application_with_gunicorn():
    exposed = [args.split() for keyword, args in _dockerfile_instructions() if keyword == "EXPOSE"]
    assert "8000" in [port.split("/")[0] for ports in exposed for port in ports]
    cmd = _exec_form("CMD")
    assert cmd[0] == "gunicorn"
    module_name, _, attribute = cmd[1].partition(":")
    assert callable(getattr(importlib.import_module(module_name), attribute or "application"))
    assert cmd[cmd.index("--bind") + 1].endswith(":8000")
    assert "gunicorn" in _declared_distributions(), "add gunicorn to pyproject dependencies"


def test_dockerfile_entrypoint_is_an_executable_script_from_the_repository():
    entrypoint = _exec_form("ENTRYPOINT")
    script = _image_path_to_repo(entrypoint[0])
    assert script.resolve() == ENTRYPOINT.resolve()
    assert script.is_file()
    assert os.access(script, os.X_OK), f"{script} is not executable"
    assert script.read_text().startswith("#!/bin/sh")
    assert not _is_ignored(script.relative_to(ROOT).as_posix(), _dockerignore_patterns())


def test_dockerfile_copies_only_files_in_the_build_context():
    patterns = _dockerignore_patterns()
    for keyword, args in _dockerfile_instructions():
        if keyword not in {"COPY", "ADD"} or "--from=" in args:
            continue
        sources = [arg for arg in args.split() if not arg.startswith("--")][:-1]
        for source in sources:
            assert (ROOT / source).exists(), f"{keyword} {source}: not in the repository"
            if source != ".":
                assert not _is_ignored(source, patterns), f"{source} is in .dockerignore"


# --- .dockerignore -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "patterns", "ignored"),
    [
        (".venv/bin/python", [".venv"], True),
        ("src/.venv/bin/python", [".venv"], False),
        ("a/b/__pycache__/x.pyc", ["**/__pycache__"], True),
        ("x.pyo", ["**/*.py[cod]"], True),
        ("docs/keep.md", ["docs", "!docs/keep.md"], False),
    ],
)
def test_dockerignore_matcher_follows_docker_rules(path, patterns, ignored):
    assert _is_ignored(path, patterns) is ignored


@pytest.mark.parametrize(
    "path", [".venv/bin/python", ".git/HEAD", "db.sqlite3", "docker/.env", "staticfiles/x.css"]
)
def test_dockerignore_keeps_local_state_out_of_the_image(path):
    assert _is_ignored(path, _dockerignore_patterns())


def test_build_context_keeps_everything_the_image_needs():
    patterns = _dockerignore_patterns()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    needed = ["pyproject.toml", "manage.py", "docker/entrypoint.sh", pyproject["project"]["readme"]]
    for directory in ("symbiosis", "accounts", "matching", "data", "templates", "static"):
        for path in (ROOT / directory).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                needed.append(path.relative_to(ROOT).as_posix())
    for path in needed:
        assert (ROOT / path).is_file(), f"{path} is missing from the repository"
    assert [path for path in needed if _is_ignored(path, patterns)] == []


# --- entrypoint.sh -----------------------------------------------------------------------


def test_entrypoint_runs_the_command_once_the_database_answers(tmp_path):
    env = _subprocess_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = _run(
        [str(ENTRYPOINT), sys.executable, "-c", "import sys; print('ran'); sys.exit(3)"], env
    )
    assert (result.returncode, result.stdout.strip()) == (3, "ran"), result.stderr


def test_entrypoint_gives_up_when_the_database_never_answers():
    env = _subprocess_env(DATABASE_URL="postgres://nobody@127.0.0.1:1/nothing", DB_WAIT_TIMEOUT="2")
    result = _run([str(ENTRYPOINT), "echo", "ran"], env)
    assert result.returncode != 0
    assert "ran" not in result.stdout
    assert "gave up" in result.stderr


def test_entrypoint_waits_for_migrations_when_asked(tmp_path):
    env = _subprocess_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        WAIT_FOR_MIGRATIONS="1",
        DB_WAIT_TIMEOUT="1",
    )
    before = _run([str(ENTRYPOINT), "echo", "ran"], env)
    assert before.returncode != 0 and "not applied" in before.stderr

    migrate = _run([sys.executable, "manage.py", "migrate", "--noinput"], env)
    assert migrate.returncode == 0, migrate.stderr
    after = _run([str(ENTRYPOINT), "echo", "ran"], env)
    assert (after.returncode, after.stdout.strip()) == (0, "ran"), after.stderr


def test_entrypoint_refuses_to_start_without_a_command():
    result = _run([str(ENTRYPOINT)], _subprocess_env(DB_WAIT_TIMEOUT="0"))
    assert result.returncode == 64
    assert "no command" in result.stderr
