"""The emulated service itself: accounts, tickets, files, conversions, and their storage.

:mod:`.service` speaks in API terms and raises :class:`~.errors.ServiceError`; :mod:`.store`
keeps the state durable (sqlite and atomic renames); :mod:`.conversions` runs conversions
(a pool, or by hand); :mod:`.catalog` and :mod:`.canned` turn media work into what a
converted file offers. No HTTP here.
"""
