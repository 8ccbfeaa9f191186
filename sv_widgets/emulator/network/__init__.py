"""The emulator's guarded outbound network use: remote uploads and the SSRF address policy.

:mod:`.addresses` classifies addresses (pure, no sockets); :mod:`.remote` fetches a remote
file under that policy.
"""
