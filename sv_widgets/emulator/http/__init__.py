"""The emulator's HTTP face: routes, handlers, middleware, fault injection and test control.

:mod:`.routes` is the one route table; :mod:`.app` builds the Starlette application from it
and turns requests into calls on the domain (:mod:`sv_widgets.emulator.domain`);
:mod:`.middleware` wraps it (CORS, the guard, fault injection, the control routes' guard);
:mod:`.multipart` reads upload bodies as they arrive; :mod:`.files` serves media with HTTP
Range; :mod:`.faults` holds the fault rules and :mod:`.control` what a test suite may do to a
running emulator.
"""
