"""A database for one bench run, gone afterwards: what every bench script starts from."""

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def throwaway_database(server: str | None, folder: Path, *, keep: bool = False) -> Iterator[str]:
    """The URL of a new database on the PostgreSQL `server` (a URL psql accepts), dropped
    afterwards unless `keep`; without a server, a SQLite file in `folder`."""
    if not server:
        yield f"sqlite:///{folder}/bench.sqlite"
        return
    name = f"khaosat_bench_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", server, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    url = server.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        if keep:
            print(f"kept: --existing {url}")
        else:
            subprocess.run(["psql", server, "-qc",
                            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)
