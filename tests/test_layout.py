"""The shape of the code holds: the data layer has no Flask in it and SQL stays in it."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.support import ROOT

# Imports every module of workhistory.data in a fresh interpreter whose import system refuses
# the web framework, then lists what it imported.
PROBE = r"""
import importlib, pkgutil, sys

BLOCKED = ("flask", "flask_wtf", "flask_login", "flask_limiter", "werkzeug", "jinja2", "wtforms")

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"the data layer imported {name}")
        return None

sys.meta_path.insert(0, Block())
import workhistory.data as data
names = [m.name for m in pkgutil.walk_packages(data.__path__, "workhistory.data.")]
for name in names:
    importlib.import_module(name)
print("\n".join(names))
"""
SQL = re.compile(r"\b(SELECT\s|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)")


def test_the_data_layer_imports_without_flask():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    imported = set(done.stdout.split())
    expected = {"workhistory.data." + p.stem for p in (ROOT / "workhistory/data").glob("*.py")
                if p.stem != "__init__"}
    assert expected <= imported


def test_the_probe_would_catch_a_flask_import(tmp_path):
    package = tmp_path / "workhistory" / "data"
    package.mkdir(parents=True)
    (tmp_path / "workhistory" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "leaky.py").write_text("import flask\n")
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True,
                          text=True, check=False, env={"PYTHONPATH": str(tmp_path)})
    assert done.returncode != 0 and "the data layer imported flask" in done.stderr


def test_sql_lives_in_the_data_layer_only():
    outside = [ROOT / "app.py", *(ROOT / "blueprints").rglob("*.py"),
               *(ROOT / "workhistory/web").rglob("*.py")]
    offenders = [str(p.relative_to(ROOT)) for p in outside if SQL.search(p.read_text())]
    assert offenders == []


def test_every_benchmark_module_still_imports():
    """The benchmarks are not run by the suite, but they reach into the data layer (its
    statements, its columns): a rename there must fail here, not in the next `make bench`."""
    probe = ("import importlib, pkgutil, bench\n"
             "for m in pkgutil.iter_modules(bench.__path__):\n"
             "    importlib.import_module('bench.' + m.name)\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
