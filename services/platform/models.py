"""Typed requests and answers of the platform's open API (field names as on the wire, camelCase)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Gender = Literal['male', 'female']
Language = Literal['en', 'zh', 'ja']


class _Wire(BaseModel):
    # Unknown fields from the platform are kept, not rejected: the contract (docs/platform-api.md) is partly assumed.
    model_config = ConfigDict(extra='allow', populate_by_name=True)


class Envelope(_Wire):
    code: int
    success: bool
    message: str = ''
    data: Any = None
    traceId: str | None = None
    timestamp: str | int | None = None


class Option(_Wire):
    code: str
    label: str = ''
    previewUrl: str | None = None

    @property
    def display(self) -> str:
        return self.label or self.code


Options = dict[str, list[Option]]


class OptionsRequest(_Wire):
    namespace: str = 'custom_agent'
    gender: Gender | None = None
    language: str | None = 'en'


class RefImage(_Wire):
    refImageId: str


class FaceCheck(_Wire):
    hasFace: bool
    faceCount: int = 0


class CoverRequest(_Wire):
    gender: Gender
    age: str
    ethnicity: str
    bodyType: str
    hairColor: str
    hairStyle: str
    breastSize: str | None = None
    buttSize: str | None = None
    refImageId: str | None = None

    @model_validator(mode='after')
    def _female_fields(self) -> CoverRequest:
        # Checked before sending, with the platform's own words, so a person is not made to wait for it.
        if self.gender == 'female':
            if not self.breastSize:
                raise ValueError('breastSize is required for female')
            if not self.buttSize:
                raise ValueError('buttSize is required for female')
        return self


class Cover(_Wire):
    coverId: str
    imageData: str


class CreateAgentRequest(CoverRequest):
    coverId: str
    name: str = Field(min_length=1)
    voiceId: str
    language: Language = 'en'
    personality: str | None = None
    occupation: str | None = None
    relationship: str | None = None
    fetish: str | None = None


class CreatedAgent(_Wire):
    agentId: str
    name: str
    coverUrl: str | None = None


class AgentRecord(_Wire):
    agentId: str
    name: str
    coverUrl: str | None = None
    gender: str | None = None
    createdAt: str | int | None = None


class AgentListRequest(_Wire):
    pageNumber: int = Field(1, ge=1)
    pageSize: int = Field(20, ge=1, le=100)
    language: str | None = 'en'
    type: Literal['custom', 'official'] = 'custom'


class AgentPage(_Wire):
    records: list[AgentRecord] = []
    total: int = 0
    pageNumber: int = 1
    pageSize: int = 20

    @model_validator(mode='before')
    @classmethod
    def _accept_list_aliases(cls, data: Any) -> Any:
        # The shape is assumed (docs/platform-api.md, agent list); accept `list` or `items` in place of `records`.
        if isinstance(data, dict) and 'records' not in data:
            for alias in ('list', 'items'):
                if isinstance(data.get(alias), list):
                    return {**data, 'records': data[alias]}
        return data


def wire(model: BaseModel) -> dict[str, Any]:
    """The JSON body to send: unset optional fields are not sent at all (so they are not signed)."""
    return model.model_dump(mode='json', exclude_none=True, exclude={*(model.model_extra or {})})
