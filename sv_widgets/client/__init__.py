"""The client package: :class:`Client`, one method per SpareVideos endpoint.

The public face is this module; the modules behind it are private and each holds one concept,
as httpx's ``_client.py`` and ``_transports/`` do:

=================  ==============================================================
``_base``          keys, URLs, token signing, one signed call -> one HTTP call
``_client``        the endpoints (``Client``)
``_transport``     pooled sessions, timeouts, retries, redaction of errors
``_replies``       decoding replies into models or typed errors
``_sources``       what can be uploaded (path, file object, sized stream, URL)
``_multipart``     the streamed multipart body and its progress
``_polling``       concurrent paging, remote-upload progress, conversion waits
=================  ==============================================================

Examples
--------
>>> from sv_widgets.client import Client
>>> Client("pk", "sk").api_url
'https://devs.sparevideos.com/api/v1'
"""

from __future__ import annotations

from sv_widgets.client._client import Client
from sv_widgets.client._sources import SizedStream, Source, SourceInfo, describe_source
from sv_widgets.wire import DEFAULT_API_URL, DEFAULT_THUMBNAIL_URL

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_THUMBNAIL_URL",
    "Client",
    "SizedStream",
    "Source",
    "SourceInfo",
    "describe_source",
]
