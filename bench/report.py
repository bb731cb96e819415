"""bench/RESULTS.md: the results file in a form a person reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _state(figure: dict[str, Any]) -> str:
    if figure.get('error') or figure.get('met') is None:
        return 'not measured'
    return 'met' if figure['met'] else '**missed**'


def _value(figure: dict[str, Any]) -> str:
    value = figure.get('value')
    if value is None:
        return '—'
    return f'{value:g} {figure.get("unit", "")}'.strip() if isinstance(value, int | float) else str(value)


def _details(details: dict[str, Any]) -> list[str]:
    lines = []
    for key, value in details.items():
        text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
        if len(text) > 300:
            text = text[:297] + '...'
        lines.append(f'- `{key}`: {text}')
    return lines


def write_markdown(results: dict[str, Any], path: Path) -> None:
    m = results['machine']
    lines = [
        '# Agent Studio benchmarks',
        '',
        'Written by `make bench` (`python -m bench`); the same numbers, with every round, are in '
        '[results.json](results.json). Each figure runs in a fresh Python process; every server is on 127.0.0.1.',
        '',
        f'Machine: {m["cores"]} cores ({m["cpu"]}), {m["memory_gb"]} GB memory, Python {m["python"]}, '
        f'{m["system"]}. Generated {results["generated_at"]}'
        + (f', whole run {results["run_seconds"]} s.' if results.get('run_seconds') else '.'),
        '',
        'How: the app\'s own code is measured, never a copy. The upstream is always the project\'s sandbox '
        '(or, for figure 3, a no-op ASGI app) in a process of its own, because the real platform is another '
        'machine. Figures 1 and 2 drive the service layer (services.studio.jobs.JobManager + PlatformClient '
        'over signed HTTP), and figure 8 the chat layer (services.studio.chat.ChatService), in the benchmark '
        'process; figure 1 also, and figures 4-7 only, run the real app '
        '(`python main.py`) in its own process with headless Chromium (the browser tests\' driver, '
        'tests/browser/chrome.py). Timings '
        'depend on other load on the machine, so each figure records the 1-minute load average before and after.',
        '',
        '| # | figure | target | measured | |',
        '|---|---|---|---|---|',
    ]
    for name, fig in results['figures'].items():
        lines.append(f'| {name[3:]} | {fig["title"]} | {fig["target"]} | {_value(fig)} | {_state(fig)} |')
    for name, fig in results['figures'].items():
        lines += ['', f'## {name[3:]}. {fig["title"]}', '',
                  f'Target: {fig["target"]}. Measured: {_value(fig)} ({_state(fig)}), '
                  f'in {fig.get("seconds", "?")} s{" (quick run)" if fig.get("quick") else ""}'
                  + (f', load average {fig["load_average_1min"]["before"]} -> {fig["load_average_1min"]["after"]}'
                     if fig.get('load_average_1min') else '') + '.', '']
        if fig.get('method'):
            lines += [f'Method: {fig["method"]}', '']
        if fig.get('note'):
            lines += [fig['note'], '']
        if fig.get('error'):
            lines += ['Error:', '', '```', fig['error'].strip(), '```', '']
        if fig.get('details'):
            lines += _details(fig['details'])
    path.write_text('\n'.join(lines).rstrip() + '\n')
