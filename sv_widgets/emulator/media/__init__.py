"""The emulator's media work with PyAV and Pillow: no HTTP, no database.

:mod:`.pipeline` probes, converts and resizes; :mod:`.transcode` decodes once and encodes
every rendition; :mod:`.renditions` is the encoding ladder; :mod:`.packaging` remuxes HLS
and DASH; :mod:`.samples` makes synthetic clips.
"""
