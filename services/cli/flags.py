"""Command-line flags made from the wire models: one flag per request field, in kebab-case."""

from __future__ import annotations

import argparse
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from services.cli.common import EXIT_USAGE, CliError

FIELD_NOTES = {
    'breastSize': 'required when --gender female',
    'buttSize': 'required when --gender female',
    'refImageId': 'from the upload command',
    'coverId': 'from the cover command; valid for 30 minutes',
    'voiceId': 'a Voice option code',
    'name': "the agent's name",
}


def kebab(name: str) -> str:
    """'bodyType' -> 'body-type', 'refImageId' -> 'ref-image-id'."""
    return ''.join(f'-{c.lower()}' if c.isupper() else c for c in name)


def _literal_choices(annotation: Any) -> list[str] | None:
    """The allowed values of a Literal[...] (possibly inside Optional), for argparse's choices."""
    if typing.get_origin(annotation) is typing.Literal:
        return [str(v) for v in typing.get_args(annotation)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            choices = _literal_choices(arg)
            if choices:
                return choices
    return None


def add_model_flags(parser: argparse.ArgumentParser, model: type[BaseModel], *, skip: Sequence[str] = ()) -> None:
    """One flag per request field, named by the JSON field in kebab-case; required fields are required."""
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        choices = _literal_choices(info.annotation)
        kwargs: dict[str, Any] = {'dest': name}
        if choices:
            kwargs['choices'] = choices
        else:
            kwargs['metavar'] = kebab(name).upper().replace('-', '_')
        if info.annotation is int:
            kwargs['type'] = int
        note = f'; {FIELD_NOTES[name]}' if name in FIELD_NOTES else ''
        if info.is_required():
            kwargs.update(required=True, help=f'{name} (required{note})')
        else:
            default = info.get_default()
            kwargs.update(default=default, help=f'{name} (default {default}{note})' if default is not None
                          else f'{name} (optional{note})')
        parser.add_argument(f'--{kebab(name)}', **kwargs)


def model_from_args(model: type[BaseModel], args: argparse.Namespace) -> Any:
    fields = {name: getattr(args, name) for name in model.model_fields if hasattr(args, name)}
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            where = '--' + kebab(str(item['loc'][0])) if item['loc'] else 'request'
            message = str(item['msg']).removeprefix('Value error, ')
            problems.append(message if not item['loc'] else f'{where}: {message}')
        raise CliError('; '.join(problems), EXIT_USAGE) from None
