"""moto's server (local S3, DynamoDB and EventBridge) answering one request at a time.

DynamoDB applies each write, with its condition, atomically. moto's own server handles requests on threads and checks
a condition and applies the write as separate steps, so two concurrent conditional updates of one item can both pass
and one write is lost. The tests rely on DynamoDB's guarantee (optimistic versioning, locks), so here every request
runs under one lock; connections still each get a thread, so keep-alive clients do not wait on each other's sockets.

Usage: moto_server.py HOST PORT
"""

import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def serialized(app):
    lock = threading.Lock()

    def call(environ, start_response):
        with lock:
            # The body is read in full under the lock: moto builds it while the iterable is consumed.
            return [b"".join(app(environ, start_response))]

    return call


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True
    run_simple(host, port, serialized(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
