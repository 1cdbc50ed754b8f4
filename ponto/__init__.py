"""Ponto Connect client: OAuth with PKCE, tokens, resources, paging, retries, signatures, webhooks.

Imports httpx, the standard library, and cryptography / PyJWT for the signature work only.
"""

from .client import SYNC_SUBTYPES, PontoClient, SynchronizationTimeout
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
from .models import (
    Account,
    BulkPayment,
    FinancialInstitution,
    NewBulkPayment,
    NewPayment,
    Payment,
    Synchronization,
    TokenSet,
    Transaction,
    UserInfo,
)
from .oauth import (
    DEFAULT_SCOPE,
    OAuthClientConfig,
    PontoOAuth,
    authorize_url,
    code_challenge,
    make_code_verifier,
)
from .signing import RequestSigner, signed_client
from .tokens import MemoryTokenStore, StaticToken, TokenManager, TokenSource, TokenStore
from .transport import RetryPolicy

__all__ = [
    "Account",
    "BulkPayment",
    "FinancialInstitution",
    "NewBulkPayment",
    "DEFAULT_SCOPE",
    "MemoryTokenStore",
    "NewPayment",
    "OAuthClientConfig",
    "Payment",
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
    "RequestSigner",
    "signed_client",
    "RetryPolicy",
    "SYNC_SUBTYPES",
    "StaticToken",
    "Synchronization",
    "SynchronizationTimeout",
    "TokenManager",
    "TokenSet",
    "TokenSource",
    "TokenStore",
    "Transaction",
    "UserInfo",
    "authorize_url",
    "code_challenge",
    "make_code_verifier",
]
