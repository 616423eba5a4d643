"""The code generator's parts, on a contract made to be awkward.

The fixture contract has a top-level ``.proto`` without a package next to one three
directories deep, maps, a oneof, recursive and mutually recursive messages, every
well-known type, fields named like Python keywords, and every streaming kind. Written
code is checked with ``ruff`` exactly as the project's CI runs it.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

from {{ cookiecutter.package_name }}.codegen import imports
from {{ cookiecutter.package_name }}.codegen.layout import (
    CodegenError,
)
from {{ cookiecutter.package_name }}.codegen.model import (
    DescriptorModel,
)
from {{ cookiecutter.package_name }}.codegen.protoc import (
    compile_descriptors,
    generate_python,
    make_imports_relative,
    module_of,
)
from {{ cookiecutter.package_name }}.codegen.pysource import (
    LINE_LENGTH,
    docstring,
)
from {{ cookiecutter.package_name }}.codegen.sample_writer import (
    SampleBuilder,
    string_value,
    write_samples,
)
from {{ cookiecutter.package_name }}.codegen.stub_writer import (
    extend_handler,
    handler_specs,
    module_source,
)
from {{ cookiecutter.package_name }}.codegen.todo_writer import (
    write_todo_tests,
)

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "{{ cookiecutter.package_name }}"
SERVICE = "codegen_fixture.deep.TrickyService"

TOP_PROTO = """\
syntax = "proto3";

// A message in a file at the top of the tree, without a package.
message TopLevel {
  string name = 1;
}
"""

TRICKY_PROTO = """\
syntax = "proto3";

package codegen_fixture.deep;

import "google/protobuf/any.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/empty.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
import "top.proto";

// A tree: a message that holds itself.
message Node {
  string id = 1;
  Node parent = 2;
  repeated Node children = 3;
  Leaf leaf = 4;
}

// Mutually recursive with Node.
message Leaf {
  Node back = 1;
  string name = 2;
}

enum Color {
  COLOR_UNSPECIFIED = 0;
  COLOR_RED = 1;
  COLOR_BLUE = 2;
}

// Everything awkward in one request. It says \"\"\"hi\"\"\" and C:\\\\path.
message Tricky {
  message Inner {
    string deep_id = 1;
  }
  map<string, string> labels = 1;
  map<int64, Node> nodes_by_number = 2;
  map<bool, Color> flags = 3;
  oneof target {
    string user_id = 4;
    Node node = 5;
  }
  Color color = 6;
  repeated Color colors = 7;
  google.protobuf.Timestamp created_at = 8;
  google.protobuf.Duration timeout = 9;
  google.protobuf.Struct raw = 10;
  google.protobuf.StringValue nickname = 11;
  google.protobuf.Any extra = 12;
  google.protobuf.FieldMask mask = 13;
  google.protobuf.Empty nothing = 14;
  string from = 15;
  string class = 16;
  bool import = 17;
  int64 lambda = 18;
  optional string note = 19;
  bytes payload = 20;
  Node tree = 21;
  TopLevel top = 22;
  google.protobuf.Value value = 23;
  google.protobuf.ListValue list = 24;
  uint64 big = 25;
  double price = 26;
  float ratio = 27;
  sint32 page_size = 28;
  repeated string entitlement_tags = 29;
  repeated string locales = 30;
  string membership = 31;
  Inner inner = 32;
  string client_ip = 33;
  string page_token = 34;
}

// A service with every kind of RPC.
service TrickyService {
  // Unary. A very long word: https://example.com/an/address/that/is/far/longer/than/one/line/of/code/can/hold/at/all
  rpc Get(Tricky) returns (Tricky);
  rpc Watch(Tricky) returns (stream Tricky);
  rpc Upload(stream Tricky) returns (TopLevel);
  rpc Chat(stream Tricky) returns (stream Tricky);
  rpc Ping(google.protobuf.Empty) returns (TopLevel);
}

// Like the platform's IntegrationService: GetManifest is served by the template.
service PlatformLike {
  rpc GetManifest(Tricky) returns (Tricky);
}
"""

FILES = ["top.proto", "nested/deeper/deepest/tricky.proto"]


@pytest.fixture(scope="module")
def proto_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("proto")
    (root / "top.proto").write_text(TOP_PROTO, encoding="utf-8")
    deep = root / "nested" / "deeper" / "deepest"
    deep.mkdir(parents=True)
    (deep / "tricky.proto").write_text(TRICKY_PROTO, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def descriptor_set(proto_root: Path) -> descriptor_pb2.FileDescriptorSet:
    return compile_descriptors(proto_root, FILES)


@pytest.fixture(scope="module")
def model(descriptor_set: descriptor_pb2.FileDescriptorSet) -> DescriptorModel:
    return DescriptorModel.build(descriptor_set)


@pytest.fixture(scope="module")
def pool(descriptor_set: descriptor_pb2.FileDescriptorSet) -> descriptor_pool.DescriptorPool:
    result = descriptor_pool.DescriptorPool()
    for file in descriptor_set.file:
        result.Add(file)
    return result


@functools.cache
def ruff_binary() -> str:
    """The ruff executable (a dev dependency); run directly, it starts in milliseconds."""
    try:
        return str(importlib.import_module("ruff.__main__").find_ruff_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("ruff")
        assert found, "ruff is needed: pip install -e '.[dev]'"
        return found


def ruff(*arguments: str, source: str, filename: str) -> subprocess.CompletedProcess[str]:
    """ruff with this project's configuration, on ``source`` as if it were ``filename``."""
    command = [ruff_binary(), *arguments, "--config", str(ROOT / "pyproject.toml")]
    return subprocess.run(  # noqa: S603 - this interpreter, our own arguments
        [*command, "--stdin-filename", filename, "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def assert_ruff_clean(source: str, filename: str) -> None:
    """``ruff format --check`` and ``ruff check`` would both pass on ``source``."""
    formatted = ruff("format", source=source, filename=filename)
    assert formatted.returncode == 0, formatted.stderr
    assert formatted.stdout == source, f"ruff format would change {filename}"
    checked = ruff("check", "--no-fix", source=source, filename=filename)
    assert checked.returncode == 0, checked.stdout + checked.stderr


# -- protoc output made package-relative -------------------------------------------------


@pytest.fixture(scope="module")
def generated_package(
    proto_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, str]]:
    """The fixture contract compiled into ``<tmp>/codegen_fixture_pkg/generated``."""
    base = tmp_path_factory.mktemp("site")
    out = base / "codegen_fixture_pkg" / "generated"
    out.mkdir(parents=True)
    generate_python(proto_root, FILES, out)
    make_imports_relative(out, {module_of(name) for name in FILES})
    sys.path.insert(0, str(base))
    try:
        yield out, "codegen_fixture_pkg.generated"
    finally:
        sys.path.remove(str(base))


def test_imports_between_generated_modules_become_relative(
    generated_package: tuple[Path, str],
) -> None:
    out, _ = generated_package
    deep = (out / "nested" / "deeper" / "deepest" / "tricky_pb2.py").read_text(encoding="utf-8")
    # Three directories down: ``.`` is deepest/, ``....`` is generated/ itself.
    assert "from .... import top_pb2 as top__pb2" in deep
    assert "\nimport top_pb2" not in deep
    # Well-known types stay absolute: they come with protobuf.
    assert "from google.protobuf import timestamp_pb2" in deep
    grpc_module = out / "nested" / "deeper" / "deepest" / "tricky_pb2_grpc.py"
    grpc_text = grpc_module.read_text(encoding="utf-8")
    assert "from ....nested.deeper.deepest import tricky_pb2 as " in grpc_text
    assert "from .... import top_pb2 as top__pb2" in grpc_text
    assert "\nfrom nested.deeper" not in grpc_text
    stub = (out / "nested" / "deeper" / "deepest" / "tricky_pb2.pyi").read_text(encoding="utf-8")
    assert "from .... import top_pb2 as _top_pb2" in stub
    for directory in (out, out / "nested", out / "nested" / "deeper"):
        assert (directory / "__init__.py").is_file()


def test_generated_modules_import_as_a_package(generated_package: tuple[Path, str]) -> None:
    _, package = generated_package
    tricky = importlib.import_module(f"{package}.nested.deeper.deepest.tricky_pb2")
    services = importlib.import_module(f"{package}.nested.deeper.deepest.tricky_pb2_grpc")
    top = importlib.import_module(f"{package}.top_pb2")
    message = tricky.Tricky(top=top.TopLevel(name="x"))
    assert message.top.name == "x"
    assert hasattr(services, "TrickyServiceServicer")


def test_protoc_errors_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "broken.proto").write_text('syntax = "proto3";\nmessage {', encoding="utf-8")
    with pytest.raises(CodegenError) as raised:
        compile_descriptors(tmp_path, ["broken.proto"])
    assert "broken.proto" in str(raised.value)
    assert "\n" not in str(raised.value)


# -- docstrings --------------------------------------------------------------------------

AWKWARD_TEXTS = [
    'It says """hi""" twice: """.',
    "A Windows path C:\\new\\table and a trailing backslash \\",
    'Ends with a quote "',
    'Ends with an escaped-looking quote \\"',
    'Ends with a triple quote """',
    '"Starts with a quote',
    "x" * 150,
    "Paragraph one wraps " * 12 + "\n\nParagraph two: https://example.com/" + "a" * 120,
    "- a list item that is long enough to need wrapping " * 3 + "\n- another item",
    "Unicode: Müller Medien — 日本語 ✓",
    "",
]


@pytest.mark.parametrize("text", AWKWARD_TEXTS)
@pytest.mark.parametrize("indent", ["", "    ", "        "])
def test_docstring_keeps_any_text(text: str, indent: str) -> None:
    block = docstring(text, indent)
    holder: ast.Module | ast.FunctionDef
    if indent == "":
        holder = ast.parse(block)
    elif indent == "    ":
        function = ast.parse(f"def function() -> None:\n{block}    pass\n").body[0]
        assert isinstance(function, ast.FunctionDef)
        holder = function
    else:
        cls = ast.parse(f"class Holder:\n    def method(self) -> None:\n{block}        pass\n")
        method = cls.body[0].body[0]  # type: ignore[attr-defined]
        assert isinstance(method, ast.FunctionDef)
        holder = method
    expected = text.strip() or "Not documented in the contract."
    assert (ast.get_docstring(holder) or "").split() == expected.split()
    # Lines fit, unless a line is one word that cannot be split (ruff allows that).
    assert all(len(line) <= LINE_LENGTH or " " not in line.strip() for line in block.splitlines())


def test_docstrings_are_ruff_clean() -> None:
    functions = "".join(
        f"\n\ndef function_{number}() -> None:\n{docstring(text, '    ')}"
        for number, text in enumerate(AWKWARD_TEXTS)
    )
    assert_ruff_clean(f'"""Docstrings."""\n{functions}', f"src/{PACKAGE}/handlers/docs.py")


def test_docstring_escapes_control_characters() -> None:
    block = docstring("bell\x07 and form feed\x0c", "")
    assert "\x07" not in block
    assert "\x0c" not in block
    assert ast.literal_eval(block.strip()) == "bell\x07 and form feed\x0c"


# -- stub modules ------------------------------------------------------------------------


def test_stub_module_is_typed_documented_and_ruff_clean(model: DescriptorModel) -> None:
    [spec] = handler_specs(model, [(SERVICE, "vendor")])
    source = module_source(spec, PACKAGE)
    assert_ruff_clean(source, f"src/{PACKAGE}/handlers/{spec.module}.py")
    tree = ast.parse(source)
    [cls] = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    methods = {
        node.name: node
        for node in cls.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    assert list(methods) == ["Get", "Watch", "Upload", "Chat", "Ping"]
    assert isinstance(methods["Get"], ast.AsyncFunctionDef)
    assert isinstance(methods["Watch"], ast.FunctionDef)  # a stub generator: def, returns
    assert "https://example.com/an/address" in (ast.get_docstring(methods["Get"]) or "")
    assert "AsyncIterator[tricky_pb2.Tricky]" in ast.unparse(methods["Chat"])
    assert "from ..generated.nested.deeper.deepest import tricky_pb2" in source
    assert "from ..generated import top_pb2" in source
    assert "\nfrom google.protobuf import empty_pb2\n" in source  # comes with protobuf


FILLED_GET = """\
    async def Get(
        self,
        request: tricky_pb2.Tricky,
        context: CallContext,
    ) -> tricky_pb2.Tricky:
        \"\"\"Filled in by the vendor.\"\"\"
        payload = json_format.MessageToDict(request)
        logging.getLogger(__name__).debug("got %d fields", len(payload))
        return tricky_pb2.Tricky(note="done")
"""

HELPER_AFTER_CLASS = '''

def helper() -> str:
    """A function of the vendor's, after the class."""
    return "kept"
'''


def vendor_module(model: DescriptorModel, tmp_path: Path) -> tuple[Path, Any]:
    """A handler module as a vendor leaves it: Get filled, own imports, a helper after."""
    [spec] = handler_specs(model, [(SERVICE, "vendor")])
    only_get = dataclasses.replace(spec.service, methods=spec.service.methods[:1])
    source = module_source(dataclasses.replace(spec, service=only_get), PACKAGE)
    start = source.index("    async def Get(")
    source = source[:start] + FILLED_GET + HELPER_AFTER_CLASS
    source = source.replace(
        "from __future__ import annotations\n\n",
        "from __future__ import annotations\n\nimport logging\n\n"
        "from google.protobuf import json_format\n\n",
    )
    path = tmp_path / f"{spec.module}.py"
    path.write_text(source, encoding="utf-8")
    assert_ruff_clean(source, f"src/{PACKAGE}/handlers/{path.name}")
    return path, spec


def test_new_rpcs_are_appended_and_nothing_else_changes(
    model: DescriptorModel, tmp_path: Path
) -> None:
    path, spec = vendor_module(model, tmp_path)
    before = path.read_text(encoding="utf-8")
    messages = extend_handler(path, spec)
    after = path.read_text(encoding="utf-8")
    assert messages == [f"added to {path.name}: Watch, Upload, Chat, Ping"]
    assert FILLED_GET in after
    assert after.endswith(HELPER_AFTER_CLASS)
    assert_ruff_clean(after, f"src/{PACKAGE}/handlers/{path.name}")
    # Every line the vendor wrote is still there, in order (imports may have grown).
    assert_lines_kept(
        "\n".join(line for line in before.splitlines() if not line.startswith("from ")), after
    )
    assert "from collections.abc import AsyncIterator" in after
    assert "from ..generated import top_pb2" in after  # Upload answers a TopLevel
    assert stub_methods(after) == ["Watch", "Upload", "Chat", "Ping"]
    assert "from google.protobuf import empty_pb2, json_format\n" in after  # joined
    # Running it again adds nothing.
    assert extend_handler(path, spec) == []
    assert path.read_text(encoding="utf-8") == after


def stub_methods(source: str) -> list[str]:
    """Methods whose body (after the docstring) is only ``raise NotImplementedError``."""
    [cls] = [node for node in ast.parse(source).body if isinstance(node, ast.ClassDef)]
    names = []
    for node in cls.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            if [ast.unparse(statement) for statement in body] == ["raise NotImplementedError"]:
                names.append(node.name)
    return names


def assert_lines_kept(before: str, after: str) -> None:
    """Every line of ``before`` is in ``after``, in the same order."""
    remaining = iter(after.splitlines())
    missing = [line for line in before.splitlines() if line not in remaining]
    assert not missing, f"lines lost or reordered: {missing}"


def test_a_vanished_rpc_is_reported_and_kept(model: DescriptorModel, tmp_path: Path) -> None:
    path, spec = vendor_module(model, tmp_path)
    renamed = dataclasses.replace(
        spec.service,
        methods=tuple(dataclasses.replace(m, name=m.name + "V2") for m in spec.service.methods),
    )
    messages = extend_handler(path, dataclasses.replace(spec, service=renamed))
    assert any("Get in" in message and "left the contract" in message for message in messages)
    assert FILLED_GET in path.read_text(encoding="utf-8")  # kept, byte for byte


def test_a_module_that_does_not_parse_is_refused(model: DescriptorModel, tmp_path: Path) -> None:
    path, spec = vendor_module(model, tmp_path)
    path.write_text("class Broken(:\n", encoding="utf-8")
    with pytest.raises(CodegenError, match="does not parse"):
        extend_handler(path, spec)


# -- imports edited in place -------------------------------------------------------------

MODULE_HEAD = '''"""A module."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from google.protobuf import json_format

from ..call_context import CallContext
from ..generated.a import (
    alpha_pb2,
    beta_pb2,
)
from .base import ServiceHandler  # the vendor's comment
'''

MODULE_BODY = """
LOGGER = logging.getLogger(__name__)


def use(items: Iterable[object]) -> object:
    return (json_format, CallContext, alpha_pb2, beta_pb2, ServiceHandler, LOGGER, items)
"""


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        pytest.param(
            [("..generated.a", "gamma_pb2")],
            "from ..generated.a import (\n    alpha_pb2,\n    beta_pb2,\n    gamma_pb2,\n)\n",
            id="joins-a-wrapped-import",
        ),
        pytest.param(
            [("..generated.b", "delta_pb2")],
            "    beta_pb2,\n)\nfrom ..generated.b import delta_pb2\nfrom .base",
            id="new-local-module-in-order",
        ),
        pytest.param(
            [("collections.abc", "AsyncIterator")],
            "from collections.abc import AsyncIterator, Iterable\n",
            id="joins-a-one-line-import",
        ),
        pytest.param(
            [("httpx", "AsyncClient")],
            "from google.protobuf import json_format\nfrom httpx import AsyncClient\n",
            id="third-party-in-order",
        ),
        pytest.param(
            [(f"{PACKAGE}.errors", "NotFoundError")],
            f"from google.protobuf import json_format\n\nfrom {PACKAGE}.errors import"
            " NotFoundError\n\nfrom ..call_context",
            id="a-new-first-party-section",
        ),
    ],
)
def test_add_imports(pairs: list[tuple[str, str]], expected: str) -> None:
    source = MODULE_HEAD + MODULE_BODY
    edited = imports.add_imports(source, pairs)
    assert expected in edited
    assert edited.endswith(MODULE_BODY)
    body = edited + "\n\nUSED = [" + ", ".join(name for _, name in pairs) + "]\n"
    assert_ruff_clean(body, f"src/{PACKAGE}/handlers/edited.py")
    assert imports.add_imports(edited, pairs) == edited  # idempotent


@pytest.mark.parametrize(
    "source",
    [
        '"""Only a docstring."""\n\nUSED = Iterable\n',
        '"""Only a docstring."""\n\n\nclass Holder:\n    USED = Iterable\n',
        "USED = Iterable\n",
    ],
)
def test_add_imports_into_a_module_without_imports(source: str) -> None:
    edited = imports.add_imports(source, [("collections.abc", "Iterable")])
    assert "from collections.abc import Iterable\n" in edited
    assert_ruff_clean(edited, f"src/{PACKAGE}/handlers/bare.py")


def test_a_commented_import_is_left_alone() -> None:
    """Rewriting it could lose the comment: a statement of its own, ``ruff --fix`` can merge."""
    source = MODULE_HEAD + MODULE_BODY
    edited = imports.add_imports(source, [(".base", "VendorHandler")])
    assert "from .base import ServiceHandler  # the vendor's comment\n" in edited
    assert "from .base import VendorHandler\n" in edited
    assert ruff("format", source=edited, filename="src/handlers/x.py").stdout == edited
    assert imports.add_imports(edited, [(".base", "VendorHandler")]) == edited


def test_an_aliased_import_does_not_count() -> None:
    source = '"""M."""\n\nfrom .x import thing as other\n\nUSED = other\n'
    edited = imports.add_imports(source, [(".x", "thing")])
    assert "from .x import thing, thing as other" in edited


# -- sample requests ---------------------------------------------------------------------


def parse(pool: descriptor_pool.DescriptorPool, name: str, document: Any) -> Any:
    message_class = message_factory.GetMessageClass(pool.FindMessageTypeByName(name))
    message = message_class()
    json_format.ParseDict(document, message, descriptor_pool=pool)  # strict: no unknown field
    return message


def test_sample_sets_every_field_of_a_tricky_message(
    model: DescriptorModel, pool: descriptor_pool.DescriptorPool
) -> None:
    sample = SampleBuilder(model).message("codegen_fixture.deep.Tricky")
    message = parse(pool, "codegen_fixture.deep.Tricky", sample)
    fields = model.messages["codegen_fixture.deep.Tricky"].field
    in_target = {"userId", "node"}
    assert set(sample) == {f.json_name for f in fields} - in_target | {"userId"}
    assert message.WhichOneof("target") == "user_id"  # exactly one member of the oneof
    assert sample["labels"] == {"example": "example-value"}
    assert list(sample["nodesByNumber"]) == ["1"]
    assert sample["flags"] == {"true": "COLOR_RED"}
    assert sample["color"] == "COLOR_RED"  # not the zero "unspecified" value
    assert sample["colors"] == ["COLOR_RED"]
    assert sample["createdAt"] == "2026-01-01T12:00:00Z"
    assert sample["timeout"] == "3600s"
    assert sample["extra"]["@type"].endswith("google.protobuf.Struct")
    assert {"from", "class", "import", "lambda"} <= set(sample)
    assert sample["lambda"] == "1"  # 64-bit integers are strings in proto3 JSON
    assert sample["note"]  # a proto3 optional is filled like any field
    assert sample["entitlementTags"] == ["gold"]  # guessed from the singular
    assert sample["locales"] == ["en"]
    assert sample["clientIp"] == "162.198.33.21"
    assert sample["membership"] == "example-membership"  # "...ship" is not an ip
    assert sample["pageToken"] == ""  # the first page
    assert sample["pageSize"] == 20
    assert sample["inner"] == {"deepId": "01EPY3B06MWB08MZ86ST3S8FCS"}
    assert sample["top"] == {"name": "Example"}


def depth(document: Any) -> int:
    if isinstance(document, dict):
        return 1 + max((depth(value) for value in document.values()), default=0)
    if isinstance(document, list):
        return max((depth(value) for value in document), default=0)
    return 0


def test_recursive_messages_give_finite_samples(
    model: DescriptorModel, pool: descriptor_pool.DescriptorPool
) -> None:
    sample = SampleBuilder(model).message("codegen_fixture.deep.Node")
    parse(pool, "codegen_fixture.deep.Node", sample)
    assert set(sample) == {"id", "parent", "children", "leaf"}
    assert "parent" not in sample["parent"]  # a type appears at most twice on a path
    assert sample["leaf"]["back"]["id"]  # mutual recursion is followed once, too
    assert depth(sample) <= 4


def test_a_preferred_oneof_member_wins(
    model: DescriptorModel, pool: descriptor_pool.DescriptorPool
) -> None:
    sample = SampleBuilder(model, frozenset({"node"})).message("codegen_fixture.deep.Tricky")
    assert "node" in sample
    assert "userId" not in sample
    parse(pool, "codegen_fixture.deep.Tricky", sample)


@pytest.mark.parametrize(
    ("name", "repeated", "value"),
    [
        ("user_id", False, "d18366bc-e0da-4634-bbae-8e698b0fa2cb"),
        ("content_id", False, "01EPY3B06MWB08MZ86ST3S8FCS"),
        ("email", False, "jane.doe@example.com"),
        ("client_ip", False, "162.198.33.21"),
        ("membership", False, "example-membership"),
        ("zip", False, "example-zip"),
        ("page_token", False, ""),
        ("access_token", False, "eyJleGFtcGxlIjoidG9rZW4ifQ"),
        ("allowed_countries", True, "SE"),
        ("genres", True, "drama"),
        ("status", False, "example-status"),
    ],
)
def test_string_values_are_guessed_from_whole_words(name: str, repeated: bool, value: str) -> None:
    assert string_value(name, repeated=repeated) == value


def test_samples_use_seeds_and_never_overwrite(
    model: DescriptorModel,
    descriptor_set: descriptor_pb2.FileDescriptorSet,
    pool: descriptor_pool.DescriptorPool,
    tmp_path: Path,
) -> None:
    seeds, samples = tmp_path / "seeds", tmp_path / "samples"
    seeds.mkdir()
    documented = {"userId": "documented-user", "configuration": {"bundleIdentifier": "x"}}
    (seeds / "TrickyService.Get.json").write_text(json.dumps(documented), encoding="utf-8")
    (seeds / "TrickyService.Watch.json").write_text('{"noSuchField": 1}', encoding="utf-8")
    service = model.services[SERVICE]
    messages = write_samples(model, descriptor_set, [service], {}, samples, seeds)
    get = json.loads((samples / "TrickyService.Get.json").read_text(encoding="utf-8"))
    assert get["userId"] == "documented-user"  # the documented value...
    assert get["createdAt"] == "2026-01-01T12:00:00Z"  # ...and what it leaves out, filled in
    assert "configuration" not in get  # the tenant's is added when calling
    assert any("TrickyService.Watch.json does not fit" in message for message in messages)
    watch = json.loads((samples / "TrickyService.Watch.json").read_text(encoding="utf-8"))
    assert "noSuchField" not in watch
    parse(pool, "codegen_fixture.deep.Tricky", watch)
    assert sorted(path.name for path in samples.iterdir()) == [
        "TrickyService.Chat.json",
        "TrickyService.Get.json",
        "TrickyService.Ping.json",
        "TrickyService.Upload.json",
        "TrickyService.Watch.json",
    ]
    (samples / "TrickyService.Get.json").write_text('{"locale": "mine"}', encoding="utf-8")
    assert write_samples(model, descriptor_set, [service], {}, samples, seeds) == []
    assert json.loads((samples / "TrickyService.Get.json").read_text(encoding="utf-8")) == {
        "locale": "mine"
    }


# -- to-do tests -------------------------------------------------------------------------


def test_todo_tests_for_new_rpcs_bring_their_import(model: DescriptorModel, tmp_path: Path) -> None:
    [platform] = handler_specs(model, [("codegen_fixture.deep.PlatformLike", "manifest")])
    write_todo_tests([platform], [], tmp_path, PACKAGE)
    path = tmp_path / f"test_{platform.module}.py"
    first = path.read_text(encoding="utf-8")
    assert "@todo" not in first  # GetManifest is served by the template
    assert "from tests.todo import todo" not in first
    grown = dataclasses.replace(
        platform.service,
        methods=(
            *platform.service.methods,
            dataclasses.replace(platform.service.methods[0], name="GetExtras"),
        ),
    )
    messages = write_todo_tests(
        [dataclasses.replace(platform, service=grown)], [], tmp_path, PACKAGE
    )
    assert messages == [f"added to tests/rpcs/{path.name}: 1 test(s)"]
    second = path.read_text(encoding="utf-8")
    assert_lines_kept(first, second)
    assert '@todo(SERVICE, "GetExtras")' in second
    assert "from tests.todo import todo" in second
    assert_ruff_clean(second, f"tests/rpcs/{path.name}")
    # An RPC that leaves the contract is reported; its test is kept.
    messages = write_todo_tests([platform], [], tmp_path, PACKAGE)
    assert any("GetExtras, which left the contract" in message for message in messages)
    assert path.read_text(encoding="utf-8") == second
