"""Hostile and unusual answers, each a named test, baked with the ``cookiecutter`` CLI.

Each answer either bakes a project that passes its own checks (ruff for every case;
pytest for one case of each kind in the fast tier and for all of them in the full tier,
with mypy), or stops the bake with ONE line on stderr naming the problem and leaves
nothing in the output directory. Which of the two is asserted per case. Answers
are passed as separate ``key=value`` arguments, never through a shell, so a
``$(touch ...)`` in a name can only run if a hook or generated file evaluates it: the
marker file it names must never appear (checked after the bake and after every check of
the baked project, whose tests import the name too).
"""

from __future__ import annotations

import json
import keyword
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from baking import (
    BUNDLES,
    ROOT,
    assert_check_passes,
    assert_cookiecutter_rejects,
    assert_one_line_failure,
    leftover_template_syntax,
    python_constant,
    read_answers,
    read_contract,
    run_cookiecutter,
)
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

BAKES = "bakes"
HOOK_ERROR = "hook error"  # our pre/post hook stops the bake with one line
COOKIECUTTER_ERROR = "cookiecutter error"  # cookiecutter refuses before any hook runs

MARKER = "{marker}"  # replaced by the absolute path of a file that must never be created
LONG_VALID_NAME = (
    "Worldwide Streaming Services International Holdings Incorporated and Partners of "
    "Greater Metropolitan Areas Limited"
)
assert len(LONG_VALID_NAME) <= 120


@dataclass(frozen=True)
class Case:
    id: str
    answers: tuple[str, ...]  # as typed after the template on the command line
    outcome: str
    needles: tuple[str, ...] = ()  # must all be in the error line
    vendor: str | None = None  # the vendor name the project records, if not the answer
    xfail: str | None = None  # a known limitation, with its reason

    def vendor_answer(self, marker: Path) -> str | None:
        for answer in self.answers:
            if answer.startswith("vendor_name="):
                return answer.split("=", 1)[1].replace(MARKER, str(marker))
        return None


def vendor(case_id: str, name: str, outcome: str = BAKES, *needles: str, **extra) -> Case:
    return Case(case_id, (f"vendor_name={name}",), outcome, needles, **extra)


VENDOR_NAMES = [
    vendor("vendor-double-quotes", 'Say "Hello" TV'),
    vendor("vendor-triple-quotes", "Quotes \"\"\" and ''' Media"),
    vendor("vendor-apostrophe-ampersand", "O'Brien & Sons"),
    vendor("vendor-backslashes", "Back\\slash \\n \\u0041 Media \\"),
    vendor("vendor-html-script", "<script>alert('x')</script> & <b>Co</b>"),
    vendor("vendor-shell-dollar-paren", f"$(touch {MARKER}) Media"),
    vendor("vendor-shell-backticks", f"`touch {MARKER}` Media"),
    vendor("vendor-shell-semicolon", f"Acme; touch {MARKER}; echo"),
    vendor("vendor-python-fstring", "{__import__('os').system('touch " + MARKER + "')}"),
    vendor("vendor-jinja-expression", "{{ 7*7 }} Media", vendor="49 Media"),
    vendor(
        "vendor-jinja-raw",
        "{% raw %} Media",
        COOKIECUTTER_ERROR,
        "TemplateSyntaxError",
        "raw",
    ),
    vendor("vendor-emoji", "🎬 Movies 🍿"),
    vendor("vendor-emoji-only", "🎬🍿"),
    vendor("vendor-japanese", "東京映像株式会社"),
    vendor("vendor-arabic", "شركة الفيديو"),
    vendor("vendor-cyrillic", "Видео Плюс"),
    vendor("vendor-umlauts", "Müller Medien"),
    vendor("vendor-leading-digits", "3Play Media"),
    vendor("vendor-keyword-class", "class"),
    vendor("vendor-keyword-None", "None"),
    vendor("vendor-module-json", "json"),
    vendor("vendor-module-grpc", "grpc"),
    vendor("vendor-module-test", "test"),
    vendor("vendor-all-symbols", "!!!"),
    vendor("vendor-long-120", LONG_VALID_NAME),
    vendor(
        "vendor-long-leading-digit",
        "3Play Media Worldwide Streaming Services International Holdings",
    ),
    vendor("vendor-long-300", "A" * 300, HOOK_ERROR, "vendor_name", "300 characters", "120"),
    vendor("vendor-empty", "", HOOK_ERROR, "vendor_name is empty"),
    vendor("vendor-whitespace-only", "   ", HOOK_ERROR, "vendor_name is empty"),
]

OVERRIDES = [
    Case("slug-space", ("integration_slug=my integration",), HOOK_ERROR, ("integration_slug",)),
    Case("slug-uppercase", ("integration_slug=MyIntegration",), HOOK_ERROR, ("integration_slug",)),
    Case("slug-leading-dash", ("integration_slug=-acme",), HOOK_ERROR, ("integration_slug",)),
    Case("slug-too-long", ("integration_slug=" + "a" * 81,), HOOK_ERROR, ("at most 80",)),
    Case("slug-path-traversal", ("integration_slug=../escape",), HOOK_ERROR, ("../escape",)),
    Case(
        "slug-nested-path",
        ("integration_slug=a/b",),
        HOOK_ERROR,
        ("integration_slug", "'a/b'"),
        xfail=(
            "cookiecutter creates every directory of the rendered slug before the pre-gen"
            " hook runs and removes only the last one on failure: out/a stays behind"
        ),
    ),
    Case(
        "slug-empty",
        ("integration_slug=",),
        COOKIECUTTER_ERROR,
        ("already exists",),  # the project directory would be the output directory itself
    ),
    Case("package-space", ("package_name=my package",), HOOK_ERROR, ("package_name",)),
    Case("package-uppercase", ("package_name=MyPackage",), HOOK_ERROR, ("'MyPackage'",)),
    Case("package-hyphen", ("package_name=my-package",), HOOK_ERROR, ("'my-package'",)),
    Case("package-leading-digit", ("package_name=3play",), HOOK_ERROR, ("'3play'",)),
    Case("package-keyword-class", ("package_name=class",), HOOK_ERROR, ("keyword",)),
    Case("package-soft-keyword-match", ("package_name=match",), HOOK_ERROR, ("keyword",)),
    Case("package-stdlib-json", ("package_name=json",), HOOK_ERROR, ("'json'", "shadow")),
    Case("package-stdlib-typing", ("package_name=typing",), HOOK_ERROR, ("'typing'", "shadow")),
    # `test` (CPython's own regression tests) is not in sys.stdlib_module_names: allowed.
    Case("package-test", ("package_name=test",), BAKES),
    Case("package-grpc", ("package_name=grpc",), HOOK_ERROR, ("'grpc'", "shadow")),
    Case("package-google", ("package_name=google",), HOOK_ERROR, ("'google'", "shadow")),
    Case("package-tests", ("package_name=tests",), HOOK_ERROR, ("'tests'", "shadow")),
    Case("package-too-long", ("package_name=" + "p" * 61,), HOOK_ERROR, ("at most 60",)),
    # The longest names the checks allow must still make a lint-clean project.
    Case(
        "longest-slug-and-package",
        ("integration_slug=" + "s" * 80, "package_name=" + "p" * 60),
        BAKES,
    ),
    Case(
        "bundle-identifier-not-reverse-dns",
        ("bundle_identifier=acme",),
        HOOK_ERROR,
        ("bundle_identifier", "'acme'"),
    ),
    Case(
        "bundle-identifier-uppercase",
        ("bundle_identifier=Com.Acme.Drm",),
        HOOK_ERROR,
        ("bundle_identifier",),
    ),
]

CHOICES = [
    Case(
        "type-unknown",
        ("integration_type=nope",),
        COOKIECUTTER_ERROR,
        ("nope", "integration_type"),
    ),
    Case(
        "type-wrong-case",
        ("integration_type=DRM",),
        COOKIECUTTER_ERROR,
        ("DRM", "integration_type"),
    ),
    Case(
        "iap-nokia",
        ("integration_type=in-app-purchases", "iap_platforms=nokia"),
        HOOK_ERROR,
        ("iap_platforms", "'nokia'", "apple, google, amazon, roku"),
    ),
    Case(
        "iap-one-good-one-bad",
        ("integration_type=in-app-purchases", "iap_platforms=apple,nokia"),
        HOOK_ERROR,
        ("iap_platforms", "'nokia'"),
    ),
    Case(
        "iap-none",
        ("integration_type=in-app-purchases", "iap_platforms=none"),
        HOOK_ERROR,
        ("iap_platforms", "at least one"),
    ),
    Case(
        "recommendations-unknown-service",
        ("integration_type=recommendations", "recommendation_services=popular"),
        HOOK_ERROR,
        ("recommendation_services", "'popular'"),
    ),
    Case(
        "recommendations-none",
        ("integration_type=recommendations", "recommendation_services=none"),
        HOOK_ERROR,
        ("recommendation_services", "at least one"),
    ),
    Case(
        "events-unknown",
        ("event_subscriptions=content.unknown",),
        HOOK_ERROR,
        ("event_subscriptions", "'content.unknown'", "content.video_played"),
    ),
    Case(
        "events-one-good-one-bad",
        ("integration_type=recommendations", "event_subscriptions=content.video_played,x.y"),
        HOOK_ERROR,
        ("event_subscriptions", "'x.y'"),
    ),
    # A choice of another type's prompt is not asked for and not checked.
    Case("iap-answer-ignored-for-drm", ("integration_type=drm", "iap_platforms=nokia"), BAKES),
]

MISSING_DIR = "{tmp}/does-not-exist"
BUNDLE_CASES = [
    Case(
        "bundle-does-not-exist",
        ("integration_type=drm", f"proto_bundle={MISSING_DIR}"),
        HOOK_ERROR,
        ("proto_bundle", "does-not-exist", "is not a directory"),
    ),
    Case(
        "bundle-is-a-file",
        ("integration_type=drm", f"proto_bundle={BUNDLES / 'no_protos' / 'README.md'}"),
        HOOK_ERROR,
        ("proto_bundle", "README.md", "is not a directory"),
    ),
    Case(
        "bundle-without-protos",
        ("integration_type=drm", f"proto_bundle={BUNDLES / 'no_protos'}"),
        HOOK_ERROR,
        ("proto_bundle", "no_protos", "no .proto files"),
    ),
    Case(
        "bundle-does-not-compile",
        ("integration_type=drm", f"proto_bundle={BUNDLES / 'broken'}"),
        HOOK_ERROR,
        ("protoc failed", "broken.proto"),
    ),
    Case(
        "bundle-lacks-service",
        ("integration_type=drm", f"proto_bundle={BUNDLES / 'missing_service'}"),
        HOOK_ERROR,
        ("DRMTokenService", "not found", str(BUNDLES / "missing_service")),
    ),
    Case(
        "bundle-service-ambiguous",
        ("integration_type=drm", f"proto_bundle={BUNDLES / 'ambiguous'}"),
        HOOK_ERROR,
        (
            "DRMTokenService",
            "ambiguous",
            "vendor_a.DRMTokenService",
            "vendor_b.DRMTokenService",
            str(BUNDLES / "ambiguous"),
        ),
    ),
]

CASES = VENDOR_NAMES + OVERRIDES + CHOICES + BUNDLE_CASES


def params(cases: list[Case]) -> list:
    out = []
    for case in cases:
        marks = [pytest.mark.xdist_group(f"hostile-{case.id}")]
        if case.xfail:
            marks.append(pytest.mark.xfail(reason=case.xfail, strict=True))
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


@dataclass
class Outcome:
    result: subprocess.CompletedProcess[str]
    out_dir: Path
    marker: Path

    @property
    def project(self) -> Path:
        (project,) = self.out_dir.iterdir()
        return project


@pytest.fixture(scope="session")
def marker_dir() -> Iterator[Path]:
    """Where injected commands would create their marker: short, so names stay <= 120."""
    directory = Path(tempfile.mkdtemp(prefix="pwn-"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def hostile_bake(tmp_path_factory, cookiecutter_config, marker_dir):
    """Bake a case with the CLI, once per session (and xdist worker)."""
    done: dict[str, Outcome] = {}

    def bake(case: Case) -> Outcome:
        if case.id not in done:
            base = tmp_path_factory.mktemp(case.id[:30])
            out_dir = base / "out"
            out_dir.mkdir()
            marker = marker_dir / case.id
            answers = [
                answer.replace(MARKER, str(marker)).replace("{tmp}", str(base))
                for answer in case.answers
            ]
            result = run_cookiecutter(out_dir, *answers, config_file=cookiecutter_config)
            done[case.id] = Outcome(result, out_dir, marker)
        return done[case.id]

    return bake


def assert_no_marker(outcome: Outcome) -> None:
    assert not outcome.marker.exists(), "a shell command embedded in an answer ran"
    assert not list(outcome.marker.parent.iterdir()), "something wrote into the marker dir"


@pytest.mark.parametrize("case", params(CASES))
def test_hostile_answer(hostile_bake, case: Case):
    outcome = hostile_bake(case)
    assert_no_marker(outcome)
    if case.outcome == HOOK_ERROR:
        assert_one_line_failure(outcome.result, outcome.out_dir, *case.needles)
        assert [p.name for p in outcome.out_dir.parent.iterdir()] == ["out"]
        return
    if case.outcome == COOKIECUTTER_ERROR:
        assert_cookiecutter_rejects(outcome.result, outcome.out_dir, *case.needles)
        assert [p.name for p in outcome.out_dir.parent.iterdir()] == ["out"]
        return
    result = outcome.result
    assert result.returncode == 0, f"the bake failed:\n{result.stdout}\n{result.stderr}"
    project = outcome.project
    answers = read_answers(project)
    given = case.vendor_answer(outcome.marker)
    name = answers["vendor_name"]
    if given is not None:
        assert name == (case.vendor or given)
    # The vendor name, verbatim, wherever it is shown; escaped for the language it lands in.
    readme = (project / "README.md").read_text(encoding="utf-8")
    title = f"# {name} — Accedo One {answers['integration_type']} integration"
    assert readme.splitlines()[0] == title
    package = answers["package_name"]
    assert package.isidentifier() and not keyword.iskeyword(package)
    contract_module = project / "src" / package / "generated" / "contract.py"
    assert python_constant(contract_module, "VENDOR_NAME") == name
    assert read_contract(project)["vendor_name"] == name
    json.loads((project / ".cookiecutter.json").read_text(encoding="utf-8"))
    leftovers = leftover_template_syntax(project, name, given or "")
    assert not leftovers, "template syntax left in the output:\n" + "\n".join(leftovers)
    assert_check_passes(project, "ruff-check")
    assert_check_passes(project, "ruff-format")
    assert_no_marker(outcome)


def baked_params(fast: bool) -> list:
    """The cases that bake: in the fast tier one per kind of hostility, the rest in --full."""
    chosen = [c for c in CASES if c.outcome == BAKES and (c.id in PYTEST_IN_FAST_TIER) == fast]
    marks = [] if fast else [pytest.mark.full]
    return [pytest.param(*p.values, id=p.id, marks=[*p.marks, *marks]) for p in params(chosen)]


# The baked project's own test suite takes ~15 CPU-seconds; in the fast tier it runs for
# one case of each kind of hostility (every case still bakes and is checked above).
PYTEST_IN_FAST_TIER = {
    "vendor-apostrophe-ampersand",  # quotes
    "vendor-backslashes",  # escapes
    "vendor-shell-dollar-paren",  # shell
    "vendor-jinja-expression",  # Jinja
    "vendor-japanese",  # non-Latin script
    "vendor-leading-digits",  # identifiers from names
    "vendor-keyword-class",  # keywords
    "longest-slug-and-package",  # length
}


@pytest.mark.parametrize("case", baked_params(fast=True) + baked_params(fast=False))
def test_hostile_bake_passes_its_pytest(hostile_bake, case: Case):
    outcome = hostile_bake(case)
    assert outcome.result.returncode == 0, outcome.result.stderr
    assert_check_passes(outcome.project, "pytest")
    assert_no_marker(outcome)


@pytest.mark.full
@pytest.mark.parametrize("case", params([case for case in CASES if case.outcome == BAKES]))
def test_hostile_bake_passes_mypy(hostile_bake, case: Case):
    outcome = hostile_bake(case)
    assert outcome.result.returncode == 0, outcome.result.stderr
    assert_check_passes(outcome.project, "mypy")
    assert_no_marker(outcome)


@pytest.mark.parametrize(
    "character",
    ["\n", "\r", "\t", "\x00", "\x1b", "\x7f"],
    ids=["newline", "carriage-return", "tab", "nul", "escape", "delete"],
)
def test_vendor_name_with_control_character(tmp_path, capfd, cookiecutter_config, character):
    """Not expressible as a command-line answer: baked through the API, stderr from fd 2."""
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FailedHookException):
        cookiecutter(
            str(ROOT),
            no_input=True,
            extra_context={"vendor_name": f"Acme{character}Media"},
            output_dir=str(out),
            config_file=str(cookiecutter_config),
        )
    errors = [line for line in capfd.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "vendor_name" in errors[0] and "control character" in errors[0]
    assert list(out.iterdir()) == []


def test_every_case_has_a_unique_name():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    assert {case.id for case in CASES if case.outcome == BAKES} >= PYTEST_IN_FAST_TIER
    # The list, by name: each hostile kind is a test of its own.
    for needed in (
        "vendor-double-quotes",
        "vendor-apostrophe-ampersand",
        "vendor-backslashes",
        "vendor-html-script",
        "vendor-shell-dollar-paren",
        "vendor-shell-backticks",
        "vendor-jinja-expression",
        "vendor-jinja-raw",
        "vendor-emoji",
        "vendor-japanese",
        "vendor-arabic",
        "vendor-cyrillic",
        "vendor-leading-digits",
        "vendor-keyword-class",
        "vendor-keyword-None",
        "vendor-module-json",
        "vendor-module-grpc",
        "vendor-module-test",
        "vendor-long-300",
        "vendor-empty",
        "vendor-all-symbols",
        "type-unknown",
        "iap-nokia",
        "events-unknown",
        "bundle-does-not-exist",
        "bundle-without-protos",
        "bundle-does-not-compile",
        "bundle-lacks-service",
        "bundle-service-ambiguous",
    ):
        assert needed in ids, needed
