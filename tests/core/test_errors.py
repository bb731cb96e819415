"""Every error that carries words for a person is a UserFacingError, built exactly as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.auth.accounts import AccountError
from services.auth.signin import SignInError
from services.auth.throttle import TooManyAttempts
from services.cli.api import CliError
from services.core.errors import UserFacingError
from services.core.settings import SettingsError
from services.platform.errors import BusinessError, PlatformError, ProtocolError, UpstreamTimeout
from services.studio.images import ImageRejected
from services.studio.jobs import JobRefused
from services.studio.limits import LimitExceeded
from services.studio.preview_urls import PreviewDenied

SERVICES = Path(__file__).resolve().parents[2] / 'services'

# Each built with its unchanged constructor, as its callers build it.
CASES = [
    (PlatformError('The platform is busy.', trace_id='t-1', code=10500), 'The platform is busy.'),
    (BusinessError('Cover not found.', code=10404), 'Cover not found.'),
    (ProtocolError('Unexpected answer.', status=502, snippet='<html>'), 'Unexpected answer.'),
    (UpstreamTimeout('The platform did not answer in time.'), 'The platform did not answer in time.'),
    (ImageRejected('The file is empty.'), 'The file is empty.'),
    (JobRefused('This agent is already being created.'), 'This agent is already being created.'),
    (LimitExceeded('You have 2 covers generating.', 12.5), 'You have 2 covers generating.'),
    (SignInError('Enter your username and password.', kind='invalid'), 'Enter your username and password.'),
    (AccountError('There is no account named "bob".'), 'There is no account named "bob".'),
    (TooManyAttempts(3.2), 'Too many failed sign-in attempts. Try again in 4 seconds.'),
    (SettingsError('STUDIO_PORT must be at most 65535, got 70000'), 'STUDIO_PORT must be at most 65535, got 70000'),
    (PreviewDenied(403, 'Sign in to see this image.'), 'Sign in to see this image.'),
    (CliError('--out x: not writable', 5), '--out x: not writable'),
]


@pytest.mark.parametrize(('error', 'message'), CASES, ids=[type(e).__name__ for e, _ in CASES])
def test_each_is_a_user_facing_error_with_its_message(error: UserFacingError, message: str) -> None:
    assert isinstance(error, UserFacingError)
    assert error.user_message == message
    assert error.args[0] == message


def test_their_own_fields_and_str_are_unchanged() -> None:
    platform = PlatformError('Busy.', trace_id='t-1', code=10500, status=200)
    assert (platform.trace_id, platform.code, platform.status) == ('t-1', 10500, 200)
    assert str(platform) == 'Busy. (code 10500) [traceId t-1]'
    assert LimitExceeded('Wait.', 12.5).retry_after == 12.5
    assert SignInError('No.', kind='throttled').kind == 'throttled'
    assert TooManyAttempts(3.2).retry_after == 3.2
    assert (PreviewDenied(404, 'No such image.').status, PreviewDenied(404, 'No such image.').reason) == \
        (404, 'No such image.')
    assert CliError('bad', 2).exit_code == 2
    assert str(SettingsError('STUDIO_PORT is bad')) == 'STUDIO_PORT is bad'


@pytest.mark.parametrize('cls', [ImageRejected, AccountError, SettingsError])
def test_those_that_were_value_errors_still_are(cls: type[UserFacingError]) -> None:
    # Callers (and the sandbox's `except (ValueError, SettingsError)`) catch them as ValueError.
    with pytest.raises(ValueError, match=r'^why$'):
        raise cls('why')


def test_no_error_sets_its_own_user_message_any_more() -> None:
    # A new error class with words for a person should subclass UserFacingError, not grow its own attribute.
    offenders = [str(path.relative_to(SERVICES)) for path in SERVICES.rglob('*.py')
                 if path != SERVICES / 'core' / 'errors.py' and 'self.user_message =' in path.read_text()]
    assert offenders == []
