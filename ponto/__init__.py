"""Ponto Connect client: OAuth with PKCE, resources, paging and errors (httpx + stdlib only)."""

from .client import PontoClient
from .errors import (
    PontoAPIError,
    PontoAuthError,
    PontoError,
    PontoNotFound,
    PontoOAuthError,
    PontoRateLimited,
    PontoResponseError,
    PontoServerError,
    PontoTransportError,
    ReconnectRequired,
)
from .models import Account, TokenSet, UserInfo
from .money import from_minor_units, to_minor_units
from .oauth import (
    DEFAULT_SCOPE,
    OAuthClientConfig,
    PontoOAuth,
    authorize_url,
    code_challenge,
    make_code_verifier,
)

__all__ = [
    "DEFAULT_SCOPE",
    "Account",
    "OAuthClientConfig",
    "PontoAPIError",
    "PontoAuthError",
    "PontoClient",
    "PontoError",
    "PontoNotFound",
    "PontoOAuth",
    "PontoOAuthError",
    "PontoRateLimited",
    "PontoResponseError",
    "PontoServerError",
    "PontoTransportError",
    "ReconnectRequired",
    "TokenSet",
    "UserInfo",
    "authorize_url",
    "code_challenge",
    "from_minor_units",
    "make_code_verifier",
    "to_minor_units",
]
