"""``kgx serve``: a trained pipeline behind HTTP, with its page and a read-only SPARQL view
of the store (``app``); concurrent requests share ``nlp.pipe`` calls (``batcher``).

FastAPI and uvicorn come with the ``serve`` extra: ``pip install 'kgx-spacy[serve]'``.
"""

from pathlib import Path
from typing import Optional

from ..errors import KgxInputError, KgxStoreError
from ..extract import check_pipeline, load_pipeline

EXTRA = "pip install 'kgx-spacy[serve]'"


def serve(
    model: str,
    store: Optional[Path] = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    gpu_id: int = -1,
    quantize: Optional[str] = None,
    max_bytes: int = 1_000_000,
    timeout: float = 30.0,
    max_texts: int = 64,
) -> None:
    """Serve ``model`` until interrupted (``kgx serve``); the pipeline loads once the server
    listens (503 meanwhile).

    store: the embedded Oxigraph store folder (created if missing) that requests may
        write to and ``/sparql`` reads; None: neither.
    gpu_id, quantize: as ``kgx extract`` loads the pipeline (``load_pipeline``).
    max_bytes, timeout, max_texts: see ``app.Settings``.
    """
    try:
        import pyoxigraph
        import uvicorn

        from .app import Settings, create_app
    except ImportError as err:
        raise KgxInputError("kgx serve", f"needs the serve extra ({err.name} is missing): {EXTRA}") from None
    check_pipeline(model)  # the rest of a load's errors: 503 with the reason (see app)
    opened = None
    if store is not None:
        try:
            opened = pyoxigraph.Store(str(store))
        except OSError as err:
            raise KgxStoreError(str(store), f"cannot open the store ({err}); is another process using it?") from None
    settings = Settings(max_bytes=max_bytes, timeout=timeout, max_texts=max_texts)
    app = create_app(lambda: load_pipeline(model, gpu_id, quantize), opened, settings)
    uvicorn.run(app, host=host, port=port, log_level="info")
