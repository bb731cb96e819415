"""The creation studio at /studio: Look → Reference photo → Cover → Details → Create.

view.py is the page and the one place it catches up with changes; live.py tells it of changes made elsewhere;
one module per step draws that step; section.py is how a part of the page redraws itself. Everything a person
decides is done by services.studio.studio.Studio; these modules only draw it and call it.
"""

from __future__ import annotations

from pages.studio.view import setup

__all__ = ['setup']
