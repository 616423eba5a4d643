"""A small, typed view of a compiled descriptor set, for the writers.

Comments come from ``source_code_info`` (the ``.proto`` leading comments), so the
generated stubs carry the contract's documentation as docstrings.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

from google.protobuf import descriptor_pb2

from .protoc import module_of

# source_code_info paths: FileDescriptorProto field numbers.
_MESSAGE, _SERVICE = 4, 6
_FIELD, _NESTED, _METHOD = 2, 3, 2
_ONEOF = 8


@dataclass(frozen=True)
class TypeRef:
    """A message type as Python code names it: ``<module alias>.<Outer>.<Inner>``."""

    full_name: str
    module: str  # dotted, inside generated/, e.g. "identity.identity_pb2"
    qualname: str  # "Outer.Inner"

    @property
    def module_alias(self) -> str:
        return self.module.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class MethodModel:
    name: str
    input: TypeRef
    output: TypeRef
    client_streaming: bool
    server_streaming: bool
    comment: str


@dataclass(frozen=True)
class ServiceModel:
    full_name: str
    name: str
    file: str
    comment: str
    methods: tuple[MethodModel, ...]


@dataclass
class DescriptorModel:
    services: dict[str, ServiceModel] = field(default_factory=dict)
    types: dict[str, TypeRef] = field(default_factory=dict)
    messages: dict[str, descriptor_pb2.DescriptorProto] = field(default_factory=dict)
    message_comments: dict[str, str] = field(default_factory=dict)
    field_comments: dict[tuple[str, str], str] = field(default_factory=dict)
    enums: dict[str, descriptor_pb2.EnumDescriptorProto] = field(default_factory=dict)

    @classmethod
    def build(cls, descriptor_set: descriptor_pb2.FileDescriptorSet) -> DescriptorModel:
        model = cls()
        for file in descriptor_set.file:
            comments = {
                tuple(location.path): _clean(location.leading_comments)
                for location in file.source_code_info.location
            }
            prefix = f"{file.package}." if file.package else ""
            for index, message in enumerate(file.message_type):
                model._add_message(file.name, prefix, "", message, (_MESSAGE, index), comments)
            for enum in file.enum_type:
                model.enums[prefix + enum.name] = enum
        for file in descriptor_set.file:
            comments = {
                tuple(location.path): _clean(location.leading_comments)
                for location in file.source_code_info.location
            }
            prefix = f"{file.package}." if file.package else ""
            for index, service in enumerate(file.service):
                methods = tuple(
                    MethodModel(
                        name=method.name,
                        input=model.types[method.input_type.lstrip(".")],
                        output=model.types[method.output_type.lstrip(".")],
                        client_streaming=method.client_streaming,
                        server_streaming=method.server_streaming,
                        comment=comments.get((_SERVICE, index, _METHOD, number), ""),
                    )
                    for number, method in enumerate(service.method)
                )
                model.services[prefix + service.name] = ServiceModel(
                    full_name=prefix + service.name,
                    name=service.name,
                    file=file.name,
                    comment=comments.get((_SERVICE, index), ""),
                    methods=methods,
                )
        return model

    def _add_message(
        self,
        file: str,
        prefix: str,
        outer: str,
        message: descriptor_pb2.DescriptorProto,
        path: tuple[int, ...],
        comments: dict[tuple[int, ...], str],
    ) -> None:
        qualname = f"{outer}.{message.name}" if outer else message.name
        full_name = prefix + qualname
        self.types[full_name] = TypeRef(full_name, module_of(file), qualname)
        self.messages[full_name] = message
        self.message_comments[full_name] = comments.get(path, "")
        for number, message_field in enumerate(message.field):
            self.field_comments[(full_name, message_field.name)] = comments.get(
                (*path, _FIELD, number), ""
            )
        for enum in message.enum_type:
            self.enums[f"{full_name}.{enum.name}"] = enum
        for index, nested in enumerate(message.nested_type):
            self._add_message(file, prefix, qualname, nested, (*path, _NESTED, index), comments)


def _clean(comment: str) -> str:
    lines = [line.rstrip() for line in comment.strip("\n").splitlines()]
    return "\n".join(line[1:] if line.startswith(" ") else line for line in lines).strip()


def snake_case(name: str) -> str:
    """``DRMTokenService`` → ``drm_token_service``; ``GetManifest`` → ``get_manifest``."""
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"\W+", "_", text).strip("_").lower()
    return f"{text}_" if keyword.iskeyword(text) else text or "unnamed"
