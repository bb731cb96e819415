"""Cover budgets per person (issue 17): how many covers one person may have generated per hour and per day.

Kept apart from settings.py like chat_settings.py: `load_settings` reads these once, with the rest, and a bad value
stops the app with a message naming the variable. The windows are rolling (the last 60 minutes, the last 24
hours), so "the next one at HH:MM" is simply when the oldest counted cover leaves the window. 0 means no limit.
Demo visitors have budgets of their own, smaller by default: the demo is open to anyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.core.config_values import SettingsError


@dataclass(frozen=True)
class Budget:
    per_hour: int = 0  # 0: no limit
    per_day: int = 0

    @property
    def limited(self) -> bool:
        return bool(self.per_hour or self.per_day)


@dataclass(frozen=True)
class BudgetSettings:
    people: Budget = Budget()  # tool accounts and own-key people
    demo: Budget = Budget(per_hour=10, per_day=20)


def load_budget_settings(env: Mapping[str, str]) -> BudgetSettings:
    defaults = BudgetSettings()

    def count(name: str, default: int) -> int:
        raw = env.get(name, '').strip() or str(default)
        if not raw.isdigit():
            raise SettingsError(f'{name} must be a whole number of covers (0 for no limit), got {raw!r}')
        return int(raw)

    return BudgetSettings(
        people=Budget(count('STUDIO_COVERS_PER_HOUR', defaults.people.per_hour),
                      count('STUDIO_COVERS_PER_DAY', defaults.people.per_day)),
        demo=Budget(count('STUDIO_DEMO_COVERS_PER_HOUR', defaults.demo.per_hour),
                    count('STUDIO_DEMO_COVERS_PER_DAY', defaults.demo.per_day)),
    )
