"""`newsmon demo` from a fresh, non-editable install run in a temporary folder: the mirror and a loopback SMTP server started by the
command itself, every built-in source crawled, a digest received and saved as .eml/.html."""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.workspace import REPO, Workspace


def _env(*, poison: bool = False) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_") and k != "PYTHONPATH"}
    if poison:
        # A caller's NEWSMON_DB must not leak into the demo.
        env["NEWSMON_DB"] = "/nonexistent/should-not-be-used.db"
    env["PYTHONIOENCODING"] = "utf-8"
    return env


@dataclass
class DemoRun:
    folder: Path  # where `newsmon demo` ran (a temporary folder, not a checkout)
    newsmon: Path  # the console script of the fresh install
    result: subprocess.CompletedProcess[str]


def _committed_tree(base: Path) -> Path:
    """The committed tree (what a new user gets): a clone, or a copy where there is no git."""
    tree = base / "newsmon"
    if shutil.which("git") and (REPO / ".git").exists():
        subprocess.run(["git", "clone", "-q", str(REPO), str(tree)], check=True, timeout=120)
    else:
        junk = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "demo")
        shutil.copytree(REPO, tree, ignore=junk)
    return tree


def _fresh_install(tree: Path, base: Path) -> Path:
    """`pip install` of TREE (not editable) into a new venv, offline: the wheel is built with this
    interpreter's setuptools, and the venv reaches the dependencies already installed here through a
    .pth file (paths only: this environment's own editable newsmon is not activated there)."""
    import setuptools

    major = int(setuptools.__version__.split(".")[0])
    assert major >= 77, f"setuptools {setuptools.__version__} cannot build newsmon: pip install -e '.[test]'"
    wheels = base / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index"]
    subprocess.run([*build, "-w", str(wheels), str(tree)], check=True, timeout=300, capture_output=True)
    (wheel,) = wheels.glob("newsmon-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    here = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (Path(purelib) / "newsmon_test_deps.pth").write_text("\n".join(sorted(here)) + "\n", encoding="utf-8")
    install = [
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(python),
        "install",
        "-q",
        "--no-deps",
        "--no-index",
    ]
    subprocess.run([*install, str(wheel)], check=True, timeout=300, capture_output=True)
    return venv / "bin" / "newsmon"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> DemoRun:
    """The committed tree installed with `pip install` (not editable) into a fresh venv, and its
    `newsmon demo` run from a temporary folder: nothing may come from a checkout."""
    base = tmp_path_factory.mktemp("fresh")
    newsmon = _fresh_install(_committed_tree(base), base)
    folder = base / "elsewhere"
    folder.mkdir()
    result = subprocess.run(
        [str(newsmon), "demo"], cwd=folder, env=_env(poison=True), capture_output=True, text=True, timeout=300
    )
    return DemoRun(folder, newsmon, result)


@pytest.mark.slow
def test_the_install_is_not_the_checkout(demo_run):
    python = demo_run.newsmon.parent / "python"
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import monitor.mirror as m, settings; print(m.default_root()); print(settings.__file__)",
        ],
        cwd=demo_run.folder,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    venv = demo_run.newsmon.parent.parent
    assert all(Path(p).is_relative_to(venv) for p in where), where
    assert (Path(where[0]) / "hanoimoi.vn" / "_mirror.toml").is_file()


@pytest.mark.slow
def test_demo_from_a_fresh_install_receives_a_digest(demo_run):
    result = demo_run.result
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    folder = demo_run.folder / "demo"
    assert f"database: {folder / 'newsmon.db'}" in out
    assert (folder / "newsmon.db").is_file()
    eml = Path(re.search(r"digest received: (\S+\.eml)", out).group(1))
    html = Path(re.search(r"as HTML: (\S+\.html)", out).group(1))
    assert eml.parent == folder / "received" and eml.is_file() and html.is_file()
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["To"] == "analyst@example.org"
    assert "<html" in html.read_text(encoding="utf-8").lower()
    # One line per built-in source, with its counts; hanoimoi's mirror has 43 good articles.
    assert re.search(r"^hanoimoi\s+partial\s+new=43 .* errors=4 ", out, re.M)
    # ... and it says that the mirror plants those errors (and tass's one) on purpose.
    assert re.search(r"^hanoimoi .*\n\s+the mirror plants 4 error\(s\) here on purpose.*truncated", out, re.M)
    assert re.search(
        r"^tass\s+partial .* errors=1 .*\n\s+the mirror plants 1 error\(s\) here on purpose", out, re.M
    )
    assert len(re.findall(r"^\S+\s+(ok|partial)\s+new=\d+", out, re.M)) >= 2
    stored = int(re.search(r"articles stored: (\d+)", out).group(1))
    assert stored >= 43
    # The caller's NEWSMON_DB was ignored, and the demo's config says where everything is.
    assert "should-not-be-used" not in out + result.stderr
    assert (folder / "newsmon.toml").read_text(encoding="utf-8").startswith("# Written by `newsmon demo`")


@pytest.mark.slow
def test_demo_database_is_usable_afterwards(demo_run):
    config = demo_run.folder / "demo" / "newsmon.toml"
    status = subprocess.run(
        [str(demo_run.newsmon), "-c", str(config), "status"],
        cwd=demo_run.folder,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stderr
    assert "last delivered: digest 1 (sent" in status.stdout


def test_demo_refuses_a_folder_it_did_not_make(workspace: Workspace):
    # The workspace holds a user's newsmon.toml: the demo must not clear its database.
    result = workspace.run("demo", "--dir", str(workspace.path))
    assert result.returncode == 1
    assert "did not write" in result.stderr
    assert workspace.config_path.read_text(encoding="utf-8").startswith("database_url")


# ---------------------------------------------------------------- one story, one item
def mirror_events() -> dict[tuple[str, int], str]:
    """(source, article id) → event key: the mirror sources' `story` keys, plus the hanoimoi
    articles the mirror README's "Shared events" table pairs with them (hanoimoi's own TOML
    carries no key)."""
    import tomllib

    src = REPO / "tests" / "mirror" / "src"
    gold: dict[tuple[str, int], str] = {}
    for site in sorted(p for p in src.iterdir() if (p / "site.toml").exists()):
        for f in sorted(site.glob("articles*.toml")) + sorted(site.glob("articles/*.toml")):
            for a in tomllib.loads(f.read_text(encoding="utf-8")).get("article", []):
                if a.get("story"):
                    gold[(site.name, int(a["id"]))] = a["story"]
    readme = (REPO / "tests" / "mirror" / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Shared events", 1)[1].split("\n## ", 1)[0]
    for m in re.finditer(r"^\| `([^`]+)` \([^)]*\) \| (\d+) \|", table, re.M):
        gold[("hanoimoi", int(m.group(2)))] = m.group(1)
    return gold


@pytest.mark.slow
def test_demo_digest_shows_each_event_once_and_counts_what_it_shows(demo_run):
    from sqlmodel import select

    from storage import Article, Database
    from storage.models import Digest, DigestItem

    result = demo_run.result
    assert result.returncode == 0, result.stdout + result.stderr
    db = Database(f"sqlite:///{demo_run.folder / 'demo' / 'newsmon.db'}", create=False)
    try:
        with db.session() as session:
            digest = session.exec(select(Digest).order_by(Digest.id)).first()
            rows = session.exec(
                select(DigestItem).where(DigestItem.digest_id == digest.id).order_by(DigestItem.position)
            ).all()
            articles = {a.id: a for a in session.exec(select(Article)).all()}
    finally:
        db.dispose()
    # No article is shown twice.
    ids = [r.article_id for r in rows]
    assert len(ids) == len(set(ids))
    # Which item each article is in: the digest shows one item per story (a headline, the
    # story's other reports as "also in"), or counts it among the overflow.
    headlines: dict[object, int] = {}
    item_of: dict[int, object] = {}
    for r in rows:
        story = articles[r.article_id].story_id or -r.article_id
        item_of[r.article_id] = story if r.role in ("headline", "also") else "overflow"
        headlines[story] = headlines.get(story, 0) + (r.role == "headline")
    assert all(n == 1 for s, n in headlines.items() if s in item_of.values()), headlines  # no item twice
    gold = mirror_events()
    per_event: dict[str, list[int]] = {}
    for aid in item_of:
        a = articles[aid]
        key = (a.source, int(re.findall(r"\d+", a.url)[-1]))
        if key in gold:
            per_event.setdefault(gold[key], []).append(aid)
    events = {e: {item_of[aid] for aid in aids} for e, aids in per_event.items()}
    marked = {e: events[e] for e, aids in per_event.items() if len(aids) >= 2}
    assert len(marked) >= 8, sorted(per_event)
    split = {e: items for e, items in marked.items() if len(items) != 1}
    assert not split, split  # 100% of the marked events with two or more reports are one item
    # Two events of one visit on one day stay two items.
    assert events["hanoi-kaluga-reception-2026-11-27"] != events["hanoi-kaluga-centre-2026-11-27"]
    # Different events are never one item.
    owners: dict[object, set[str]] = {}
    for e, items in events.items():
        for item in items:
            owners.setdefault(item, set()).add(e)
    assert all(len(es) == 1 for item, es in owners.items() if item != "overflow"), owners
    # The subject counts the stories each section shows.
    core = sum(1 for r in rows if r.role == "headline" and r.section == "core")
    national = sum(1 for r in rows if r.role == "headline" and r.section == "national")
    m = re.match(r".*: (\d+) new stor(?:y|ies)(?: \(\+(\d+) also relevant\))? · ", digest.subject)
    assert m, digest.subject
    assert int(m.group(1)) == core and int(m.group(2) or 0) == national, (digest.subject, core, national)
    html = digest.html
    assert f"Also relevant: Vietnam – Russia ({national})" in html or national == 0
