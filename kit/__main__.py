"""`python -m kit` and the frozen program: the CLI, or the model worker when asked for it."""
import sys

if len(sys.argv) > 1 and sys.argv[1] == "_engine-worker":
    # The model worker imports no web code: it starts fast and a crash there is only its own.
    from kit.tutor.engines.worker import main as worker_main
    sys.exit(worker_main(sys.argv[2:]))

from kit.cli import main  # noqa: E402

main()
