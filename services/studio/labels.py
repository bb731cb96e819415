"""What the studio calls the platform's categories and languages, and how a category is named on the wire.

A stand-in: these move to the shared catalogue (services/studio/catalogue.py); until then every studio module
imports them from here, so switching is a change of this one import path.
"""

from __future__ import annotations

CATEGORY_TITLES = {'Age': 'Age', 'Ethnicity': 'Ethnicity', 'BodyType': 'Body type', 'HairColor': 'Hair colour',
                   'HairStyle': 'Hair style', 'BreastSize': 'Breast size', 'ButtSize': 'Butt size', 'Voice': 'Voice',
                   'Personality': 'Personality', 'Occupation': 'Occupation', 'Relationship': 'Relationship',
                   'Fetish': 'Fetish'}
LANGUAGES = {'en': 'English', 'zh': '中文', 'ja': '日本語'}


def wire_field(category: str) -> str:
    """The request field of a category: 'BodyType' -> 'bodyType'."""
    return category[0].lower() + category[1:]
