"""The compiled catalog: shipped in the package for the bundled data, cached as plain JSON
for user files, never stale, never able to run code, and never an error when it breaks."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import warnings
from pathlib import Path

import pytest

from llmtrack.catalog import cache
from llmtrack.catalog.files import CatalogFile, bundled_files
from llmtrack.catalog.load import COMPILED_BUNDLED, build_bundled, compile_catalog, load_catalog
from llmtrack.catalog.schema import SECTIONS
from tests.conftest import TINY, run

SHIPPED = Path(cache.__file__).resolve().parent.parent / "data" / COMPILED_BUNDLED


def tiny_files() -> list[CatalogFile]:
    return [CatalogFile(str(TINY), "command line", TINY.read_bytes())]


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("LLMTRACK_CACHE_DIR", str(folder))
    return folder


# --- the shipped bundled catalog ---------------------------------------------------------


def test_the_shipped_compiled_catalog_is_what_the_yaml_compiles_to():
    assert SHIPPED.read_bytes() == build_bundled(), (
        "data/catalog.json is out of date: run python -m llmtrack.catalog.build"
    )


def test_the_shipped_catalog_decodes_to_the_same_records_as_the_yaml():
    from_yaml = compile_catalog(bundled_files())
    shipped = load_catalog()
    assert shipped == from_yaml
    for name in SECTIONS:
        assert shipped.section(name) == from_yaml.section(name)
    # the name index travels too (as lists, not tuples: nothing is copied on reading)
    as_lists = lambda index: {  # noqa: E731
        k: {s: list(v) for s, v in t.items()} if isinstance(t, dict) else t
        for k, t in index._asdict().items()
    }
    assert as_lists(shipped.names) == as_lists(from_yaml.names)
    assert shipped.projects_on("llama-7b") == from_yaml.projects_on("llama-7b")


def test_the_first_run_after_installing_compiles_nothing(cache_folder):
    catalog = load_catalog()
    assert len(catalog) > 150
    assert not cache_folder.exists() or not list(cache_folder.iterdir())


def test_an_edited_bundled_file_falls_back_to_the_user_cache(cache_folder):
    files = bundled_files()
    name, data = files[-1]  # gpus
    edited = data.replace(b"name: NVIDIA T4", b"name: NVIDIA T4 edited", 1)
    assert edited != data
    after = load_catalog([*files[:-1], (name, edited)])
    assert "edited" in after.get("t4").name
    assert len(cache.cached_files(cache_folder)) == 1
    assert "edited" not in load_catalog().get("t4").name


# --- the user cache ---------------------------------------------------------------------


def test_user_files_are_cached_as_json_and_served_from_it(cache_folder):
    first = load_catalog(tiny_files())
    stored = cache.cached_files(cache_folder)
    assert [p.suffix for p in stored] == [".json"]
    _, _, body = stored[0].read_bytes().partition(b"\n")
    assert json.loads(body.partition(b"\n")[0])["format"] == cache.FORMAT
    second = load_catalog(tiny_files())
    assert second == first == compile_catalog(tiny_files())
    assert second.get("toy-chat").cost.training_usd == 50


def test_the_cache_folder_is_created_private_whatever_the_umask(cache_folder):
    previous = os.umask(0)
    try:
        load_catalog(tiny_files())
    finally:
        os.umask(previous)
    assert cache_folder.stat().st_mode & 0o777 == 0o700


def test_a_planted_pickle_never_runs(cache_folder, tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    cache_folder.mkdir(mode=0o700)
    key = cache.cache_key(tiny_files())
    planted = pickle.dumps(Payload())
    for name in (f"catalog-{key}.pickle", f"catalog-{key}.json", f"catalog-{key}"):
        (cache_folder / name).write_bytes(planted)
    catalog = load_catalog(tiny_files())
    assert not marker.exists()
    assert catalog == compile_catalog(tiny_files())


def test_a_planted_json_file_builds_only_record_classes(cache_folder, tmp_path):
    """A file with a valid checksum that names another class is not ours: recompiled."""
    load_catalog(tiny_files())
    [path] = cache.cached_files(cache_folder)
    head, _, blob = path.read_bytes().partition(b"\n")[2].partition(b"\n")
    header = json.loads(head)
    header["layout"]["Project"]["cost"] = ["record", "Path"]  # a class the schema lacks
    path.write_bytes(cache.frame(json.dumps(header).encode() + b"\n" + blob))
    catalog = load_catalog(tiny_files())
    assert catalog.get("toy-chat").cost.training_usd == 50


def test_a_flipped_byte_recompiles(cache_folder):
    good = load_catalog(tiny_files())
    [path] = cache.cached_files(cache_folder)
    data = bytearray(path.read_bytes())
    at = data.index(b"Toy Chat")
    data[at] ^= 0x01  # "Uoy Chat": still valid JSON, a different record
    path.write_bytes(bytes(data))
    assert load_catalog(tiny_files()) == good
    assert (
        path.read_bytes().partition(b"\n")[0]
        == cache.hashlib.sha256(path.read_bytes().partition(b"\n")[2]).hexdigest().encode()
    )  # rewritten whole


@pytest.mark.parametrize("garbage", [b"", b"\n", b"not json", b"0" * 64 + b"\n{}", b"\xff\xfe"])
def test_a_corrupt_cache_file_recompiles(cache_folder, garbage):
    good = load_catalog(tiny_files())
    [path] = cache.cached_files(cache_folder)
    path.write_bytes(garbage)
    assert load_catalog(tiny_files()) == good


def test_a_shared_cache_folder_is_refused_with_one_warning(cache_folder):
    cache_folder.mkdir()
    cache_folder.chmod(0o777)
    with pytest.warns(cache.CacheWarning, match="writable by others"):
        catalog = load_catalog(tiny_files())
    assert catalog == compile_catalog(tiny_files())
    assert list(cache_folder.iterdir()) == []  # nothing read or written there


@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="needs root to chown")
def test_a_cache_folder_of_another_user_is_refused(cache_folder):
    cache_folder.mkdir(mode=0o700)
    os.chown(cache_folder, 65534, 65534)
    with pytest.warns(cache.CacheWarning, match="another user"):
        load_catalog(tiny_files())
    assert list(cache_folder.iterdir()) == []


def test_the_cli_says_an_unsafe_cache_folder_in_one_line(cache_folder):
    cache_folder.mkdir()
    cache_folder.chmod(0o777)
    result = run("--catalog", str(TINY), "--no-bundled", "bases", "--format", "json")
    assert result.returncode == 0
    assert {row["id"] for row in json.loads(result.stdout)} == {"toy-1b", "toy-7b", "closed-model"}
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("warning: cache folder")


def test_an_unwritable_cache_folder_still_loads(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("LLMTRACK_CACHE_DIR", str(blocker / "cache"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a cache we cannot create is no warning, only slower
        assert len(load_catalog(tiny_files())) == 9


# --- the key ----------------------------------------------------------------------------


def edited_copy(modules, tmp_path, monkeypatch, digest):
    """Copy ``modules`` into a package the cache reads instead of the real one; returns
    edit(module), which appends a line to it and gives digest() before and after."""
    package = Path(cache.__file__).resolve().parent.parent
    copy = tmp_path / "llmtrack"
    for name in modules:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(package / name, copy / name)
    monkeypatch.setattr(cache, "_PACKAGE", copy)

    def edit(module: str):
        before = digest()
        with (copy / module).open("a") as handle:
            handle.write("\n# edited\n")
        return before, digest()

    return edit


@pytest.mark.parametrize("module", cache.STORED_MODULES)
def test_the_key_changes_when_a_stored_module_changes(module, tmp_path, monkeypatch):
    edit = edited_copy(
        cache.STORED_MODULES, tmp_path, monkeypatch, lambda: cache.cache_key(tiny_files())
    )
    before, after = edit(module)
    assert after != before


def test_every_module_the_compiled_form_depends_on_is_in_the_key():
    """Compile in a fresh interpreter and list the llmtrack modules it used: each must be
    covered by the key, or named here with the reason its code cannot change the output."""
    not_stored = {
        "llmtrack": "the version string only",
        "llmtrack.catalog": "a docstring",
        "llmtrack.catalog.files": "finds files; their bytes are in the key",
        "llmtrack.catalog.sections": "names in error messages, which are not stored",
        "llmtrack.errors": "Problem's fields are stored, not its code",
        "llmtrack.units": "parses user values, not catalog files",
    }
    code = (
        "import sys; from llmtrack.catalog.load import build_bundled; build_bundled(); "
        "print('\\n'.join(m for m in sys.modules if m.split('.')[0] == 'llmtrack'))"
    )
    result = run_python(code)
    stored = {
        "llmtrack." + name.removesuffix(".py").replace("/", ".") for name in cache.STORED_MODULES
    }
    used = set(result.split())
    assert used - stored - set(not_stored) == set()


def run_python(code: str) -> str:
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout


# --- the commands ------------------------------------------------------------------------


def test_cache_path_and_clear(cli, cache_folder):
    load_catalog(tiny_files())
    assert cli("cache", "path").stdout.strip() == str(cache_folder)
    (cache_folder / "catalog-old.pickle").write_bytes(b"from an older version")
    cleared = cli("cache", "clear")
    assert cleared.exit_code == 0
    assert "removed 2 compiled catalogs" in cleared.stderr
    assert cache.cached_files(cache_folder) == []
    assert cli("cache", "shred").exit_code == 2


# --- the estimates `fits` remembers ------------------------------------------------------


def test_fits_remembers_its_estimates_and_gives_the_same_rows(cache_folder):
    from llmtrack.memory import fits

    catalog = load_catalog()
    card = fits.Card("24 GiB card", 24)
    first = fits.fits_on(catalog, card, show_all=True)
    # the recipes, and the models' own released formats (gpt-oss in MXFP4)
    memos = [p for p in cache.cached_files(cache_folder) if p.name.startswith("estimates-")]
    assert len(memos) == 2
    second = fits.fits_on(catalog, card, show_all=True)
    unkeyed = fits.fits_on(compile_catalog(bundled_files()), card, show_all=True)
    assert first == second == unkeyed
    for memo in memos:
        memo.write_bytes(b"0" * 64 + b"\n[]")  # corrupt: estimated again, never an error
    assert fits.fits_on(catalog, card, show_all=True) == unkeyed


def test_fits_on_several_gpus_estimates_afresh(cache_folder):
    from llmtrack.memory import fits

    catalog = load_catalog()
    two = fits.fits_on(catalog, fits.Card("2 x 24 GiB", 24, gpus=2), modes=["full"])
    assert not [p for p in cache.cached_files(cache_folder) if p.name.startswith("estimates-")]
    assert all(row.mode == "full" for row in two if row.kind == "estimate")


@pytest.mark.parametrize("module", ["memory/estimate.py", "memory/precisions.py"])
def test_the_remembered_estimates_change_with_the_estimator(module, tmp_path, monkeypatch):
    from llmtrack.memory import remembered

    modules = remembered.ESTIMATOR_MODULES
    edit = edited_copy(modules, tmp_path, monkeypatch, lambda: cache.code_digest(modules))
    before, after = edit(module)
    assert after != before


def test_the_remembered_estimates_are_keyed_by_every_estimator_module():
    """A new module in memory/ that the key missed would serve yesterday's numbers."""
    from llmtrack.memory import fits

    package = Path(fits.__file__).parent
    from llmtrack.memory import remembered

    assert set(remembered.ESTIMATOR_MODULES) == {f"memory/{p.name}" for p in package.glob("*.py")}


def test_decoding_builds_a_record_only_from_exactly_its_fields():
    build = cache._builder(cache._layout())
    gpu = load_catalog().get("t4")
    data = json.loads(json.dumps(cache._plain(gpu)))
    assert build("Gpu", dict(data)) == gpu
    for broken in ({k: v for k, v in data.items() if k != "name"}, {**data, "evil": 1}):
        with pytest.raises(cache.CacheInvalid):
            build("Gpu", broken)


def test_a_damaged_shipped_catalog_is_compiled_again(tmp_path, monkeypatch, cache_folder):
    """The shipped file's digest is not checked on every run; damage still never shows."""
    from llmtrack.catalog import load

    data = bytearray(SHIPPED.read_bytes())
    at = data.index(b'"name":"NVIDIA T4')
    data[at + 3] ^= 0x20  # a key the schema does not have
    damaged = tmp_path / "data"
    damaged.mkdir()
    (damaged / COMPILED_BUNDLED).write_bytes(bytes(data))
    monkeypatch.setattr(load, "DATA", damaged)
    catalog = load_catalog()
    assert catalog.get("t4").name.startswith("NVIDIA T4")
    assert catalog == compile_catalog(bundled_files())


def test_a_stale_temporary_file_is_pruned_and_cache_clear_removes_it(cache_folder, monkeypatch):
    import os
    import time

    from llmtrack.catalog import cache

    folder = cache_folder
    folder.mkdir(parents=True, exist_ok=True)
    stale = folder / ".catalog-left-by-a-kill"
    fresh = folder / ".catalog-being-written"
    for path in (stale, fresh):
        path.write_bytes(b"partial")
    hour_ago = time.time() - 7200
    os.utime(stale, (hour_ago, hour_ago))
    cache.store(folder / "estimates-test.json", b"{}")
    assert not stale.exists() and fresh.exists()  # another writer's file is left alone
    assert fresh in cache.cached_files(folder)


def test_an_interrupted_cache_write_leaves_no_temporary_file(cache_folder, monkeypatch):
    import pytest as _pytest

    from llmtrack.catalog import cache

    cache_folder.mkdir(parents=True, exist_ok=True)

    def interrupted(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(cache.os, "replace", interrupted)
    with _pytest.raises(KeyboardInterrupt):
        cache.store(cache_folder / "estimates-x.json", b"{}")
    assert not list(cache_folder.glob(".catalog-*"))
