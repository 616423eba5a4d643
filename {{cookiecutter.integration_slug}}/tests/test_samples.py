"""Sample requests: one per RPC (and per subscribed event), strict, every field filled.

The sample files are yours once written (edit them freely): these tests only ask that
each still parses strictly into its request. What the generator builds for this
contract is checked more closely: every field set, oneofs with exactly one member,
enums never the zero value, an event sample naming its event.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from {{ cookiecutter.package_name }} import contracts
from {{ cookiecutter.package_name }}.codegen.layout import Layout
from {{ cookiecutter.package_name }}.codegen.model import (
    DescriptorModel,
)
from {{ cookiecutter.package_name }}.codegen.protoc import (
    compile_descriptors,
    proto_files,
)
from {{ cookiecutter.package_name }}.codegen.sample_writer import (
    MAX_REPEATS,
    SampleBuilder,
)
from {{ cookiecutter.package_name }}.generated import contract
from {{ cookiecutter.package_name }}.handlers.platform import event_key
from {{ cookiecutter.package_name }}.rpc_caller import (
    build_request,
    load_sample,
    sample_path,
)

WELL_KNOWN = "google.protobuf."


def samples() -> Iterator[tuple[contracts.Rpc, str | None]]:
    """Every RPC with its sample: one per subscribed event for OnEvent."""
    for rpc in contracts.rpcs():
        if rpc.name == "OnEvent" and contract.EVENT_SUBSCRIPTIONS:
            for key in contract.EVENT_SUBSCRIPTIONS:
                yield rpc, key
        else:
            yield rpc, None


def sample_id(case: tuple[contracts.Rpc, str | None]) -> str:
    rpc, event = case
    return rpc.label + (f"[{event}]" if event else "")


SAMPLES = list(samples())


@pytest.fixture(scope="module")
def model() -> DescriptorModel:
    """The contract as codegen sees it, compiled from ``proto/``."""
    proto = Layout.of_this_project().proto_dir
    return DescriptorModel.build(compile_descriptors(proto, proto_files(proto)))


@pytest.mark.parametrize("case", SAMPLES, ids=sample_id)
def test_each_sample_file_parses_strictly(case: tuple[contracts.Rpc, str | None]) -> None:
    rpc, event = case
    assert sample_path(rpc, event).is_file(), f"no sample for {sample_id(case)}: run regen"
    request = build_request(rpc, load_sample(rpc, event), None)  # unknown fields refused
    if event is not None:
        assert event_key(request)[0] == event


def unfilled_fields(message: Descriptor, document: Any, path: tuple[str, ...] = ()) -> list[str]:
    """Fields of ``message`` that ``document`` leaves out, at any depth."""
    missing = []
    path = (*path, message.full_name)
    for group in message.oneofs:
        synthetic = len(group.fields) == 1 and group.name == f"_{group.fields[0].name}"
        if not synthetic and not any(f.json_name in document for f in group.fields):
            missing.append(f"{message.full_name}.{group.name} (oneof)")
    for field in message.fields:
        oneof = field.containing_oneof
        if field.json_name not in document:
            inner_type = field.message_type.full_name if field.message_type else ""
            if inner_type and path.count(inner_type) >= MAX_REPEATS:
                continue  # a recursive message: the generator stops after MAX_REPEATS levels
            if oneof is None or oneof.name == f"_{field.name}":  # a oneof is checked above
                missing.append(f"{message.full_name}.{field.name}")
            continue
        value = document[field.json_name]
        if field.type != FieldDescriptor.TYPE_MESSAGE or field.message_type is None:
            continue
        inner = field.message_type
        if inner.full_name.startswith(WELL_KNOWN) or inner.GetOptions().map_entry:
            continue
        items = value if isinstance(value, list) else [value]
        for item in items:
            if path.count(inner.full_name) < MAX_REPEATS:
                missing += unfilled_fields(inner, item, path)
    return missing


def zero_enums(message: Message) -> list[str]:
    """Enum fields set to their zero ("unspecified") value, at any depth."""
    found = []
    for field, value in message.ListFields():
        values = value if field.is_repeated else [value]
        enum, inner = field.enum_type, field.message_type
        if enum is not None:
            if len(enum.values) > 1 and any(item == 0 for item in values):
                found.append(field.full_name)
        elif inner is not None and not inner.GetOptions().map_entry:
            for item in values:
                found += zero_enums(item)
    return found


@pytest.mark.parametrize("case", SAMPLES, ids=sample_id)
def test_the_generator_fills_every_field(
    case: tuple[contracts.Rpc, str | None], model: DescriptorModel
) -> None:
    rpc, event = case
    prefer = frozenset(event.split(".")) if event else frozenset()
    request = rpc.descriptor.input_type
    built = SampleBuilder(model, prefer).message(request.full_name, skip_configuration=True)
    # The configuration is the tenant's, added when calling.
    configuration = {
        f"{request.full_name}.{f.name}" for f in request.fields if f.json_name == "configuration"
    }
    missing = [name for name in unfilled_fields(request, built) if name not in configuration]
    assert not missing, f"the sample of {sample_id(case)} leaves out {missing}"
    message = message_factory.GetMessageClass(request)()
    json_format.ParseDict(built, message)  # strict
    assert not zero_enums(message), "an enum is left at its zero value"
    if event is not None:
        assert event_key(message)[0] == event
