"""A PEP 517 build backend in the standard library alone, so that ``pip install ./integrations/python`` needs no
network and no build tools (setuptools before 70.1 cannot build a wheel without the ``wheel`` package).

It builds the pure-Python wheel (``py3-none-any``) of the ``kernelcast`` package, an editable wheel (a ``.pth``
file naming this folder) and an sdist. Name, version, summary and Python requirement come from the simple
``key = "value"`` lines of ``[project]`` in ``pyproject.toml``.
"""

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "kernelcast"
TAG = "py3-none-any"


def _project():
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as handle:
        text = handle.read()
    section = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    fields = dict(re.findall(r'^([A-Za-z-]+)\s*=\s*"([^"]*)"\s*$', section.group(1) if section else "", re.M))
    for key in ("name", "version"):
        if key not in fields:
            raise RuntimeError(f"pyproject.toml: [project] needs {key} = \"...\"")
    return fields


def _metadata(project):
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {project['version']}"]
    if "description" in project:
        lines.append(f"Summary: {project['description']}")
    if "requires-python" in project:
        lines.append(f"Requires-Python: {project['requires-python']}")
    readme = os.path.join(ROOT, project.get("readme", "README.md"))
    body = ""
    if os.path.exists(readme):
        lines.append("Description-Content-Type: text/markdown")
        with open(readme, encoding="utf-8") as handle:
            body = handle.read()
    return ("\n".join(lines) + "\n\n" + body).encode("utf-8")


def _package_files():
    folder = os.path.join(ROOT, PACKAGE)
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py") or name == "py.typed":
            yield f"{PACKAGE}/{name}", os.path.join(folder, name)


def _write_wheel(directory, entries):
    """entries: (path in the wheel, bytes). Adds the dist-info files and RECORD."""
    project = _project()
    base = f"{project['name'].replace('-', '_')}-{project['version']}"
    info = f"{base}.dist-info"
    entries = list(entries) + [
        (f"{info}/METADATA", _metadata(project)),
        (f"{info}/WHEEL",
         f"Wheel-Version: 1.0\nGenerator: kernelcast_backend\nRoot-Is-Purelib: true\nTag: {TAG}\n".encode()),
        (f"{info}/top_level.txt", f"{PACKAGE}\n".encode()),
    ]
    record = []
    for path, data in entries:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    entries.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode()))
    name = f"{base}-{TAG}.whl"
    with zipfile.ZipFile(os.path.join(directory, name), "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in entries:
            wheel.writestr(zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return name


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, [(path, _read(source)) for path, source in _package_files()])


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, [(f"_{PACKAGE}_editable.pth", (ROOT + "\n").encode())])


def build_sdist(sdist_directory, config_settings=None):
    project = _project()
    base = f"{project['name']}-{project['version']}"
    name = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz", format=tarfile.PAX_FORMAT) as sdist:
        for path in ["pyproject.toml", "README.md", "_build/kernelcast_backend.py"] + [p for p, _ in _package_files()]:
            data = _read(os.path.join(ROOT, path))
            member = tarfile.TarInfo(f"{base}/{path}")
            member.size = len(data)
            member.mtime = 1577836800
            sdist.addfile(member, io.BytesIO(data))
        pkg_info = _metadata(project)
        member = tarfile.TarInfo(f"{base}/PKG-INFO")
        member.size = len(pkg_info)
        member.mtime = 1577836800
        sdist.addfile(member, io.BytesIO(pkg_info))
    return name
