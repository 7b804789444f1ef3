"""``claimnet serve --model DIR``: the tagging server (the ``serve`` extra)."""

from __future__ import annotations

import argparse
import os

from claimnet.cli.tag import model_dir, positive_int
from claimnet.errors import ConfigError
from claimnet.runtime.backends import BACKENDS, PRECISIONS


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number >= 0. Got {text!r} instead.") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number >= 0. Got {text} instead.")
    return value


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from claimnet.serving.app import SETTINGS_ENV, ServeSettings, check_settings, create_app, settings_to_env
    except ImportError as exc:
        raise ConfigError(f"claimnet serve needs the server extra ({exc.name} is missing): "
                          "pip install \"/path/to/claimnet[serve]\" (the clone, or claimnet's wheel)") from None
    from claimnet.runtime.tagger import ClaimTagger

    settings = ServeSettings(
        model=model_dir(args.model), backend=args.backend, precision=args.precision, threads=args.threads,
        max_batch=args.max_batch, max_wait_ms=args.max_wait_ms, max_queue=args.max_queue,
        max_sentences=args.max_sentences, max_bytes=args.max_bytes, batching=not args.no_batching,
        max_connections=args.max_connections, read_timeout_s=args.read_timeout,
    )
    check_settings(settings)
    # Load once here, so that a missing or altered model is a clear exit 2 before any port opens.
    ClaimTagger.load(settings.model, backend=settings.backend, precision=settings.precision,
                     num_threads=settings.threads)
    from claimnet.serving.limits import bound_access_log, timed_protocol

    if args.access_log:
        bound_access_log()  # at most 50 lines a second, the rest counted: a flood cannot fill the disk

    # Read deadlines, a keep-alive of a few seconds, uvicorn's own connection limit as a backstop behind claimnet's
    # (which answers with problem details), and no per-request access log unless asked for (it grows without bound).
    common = {"host": args.host, "port": args.port, "log_level": args.log_level,
              "timeout_graceful_shutdown": args.graceful_timeout, "http": timed_protocol(args.read_timeout),
              "timeout_keep_alive": 5, "limit_concurrency": 4 * args.max_connections, "access_log": args.access_log}
    if args.workers > 1:
        os.environ[SETTINGS_ENV] = settings_to_env(settings)
        uvicorn.run("claimnet.serving.app:app_from_env", factory=True, workers=args.workers, **common)
    else:
        uvicorn.run(create_app(settings), **common)
    return 0


def add_parser(sub) -> None:
    serve = sub.add_parser("serve", help="serve the model over HTTP, with dynamic batching")
    serve.add_argument("--model", default=None, help="export folder (default: as for claimnet tag)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=positive_int, default=8080)
    serve.add_argument("--backend", default="auto", choices=BACKENDS)
    serve.add_argument("--precision", default="auto", choices=PRECISIONS)
    serve.add_argument("--threads", type=positive_int, default=None, help="threads per model call (default: cores)")
    serve.add_argument("--workers", type=positive_int, default=1, help="server processes, each with its model")
    serve.add_argument("--max-batch", type=positive_int, default=64, help="most sentences in one model call")
    serve.add_argument("--max-wait-ms", type=_non_negative, default=5.0,
                       help="longest a sentence waits for others to fill its batch")
    serve.add_argument("--no-batching", action="store_true", help="one request per model call, as it arrives")
    serve.add_argument("--max-queue", type=positive_int, default=4096,
                       help="sentences that may wait; past it requests get 503 with Retry-After")
    serve.add_argument("--max-sentences", type=positive_int, default=2048, help="most sentences in one request (413)")
    serve.add_argument("--max-bytes", type=positive_int, default=1_000_000, help="largest request body (413)")
    serve.add_argument("--max-connections", type=positive_int, default=256,
                       help="requests in flight at once; past it 503 with Retry-After")
    serve.add_argument("--read-timeout", type=_non_negative, default=10.0,
                       help="seconds a client has to send a request's headers, and its body")
    serve.add_argument("--access-log", action="store_true",
                       help="log requests (at most 50 lines a second, the rest counted)")
    serve.add_argument("--graceful-timeout", type=positive_int, default=30,
                       help="seconds SIGTERM waits for requests in flight")
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    serve.set_defaults(func=run)
