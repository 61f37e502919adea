"""A tiny graph with a clear pattern: ``spouse`` is symmetric, ``next`` a cycle.

The training split holds both directions of most marriages but only one direction of the
``PLANTED`` ones, so a model that learned the symmetry ranks the planted tail first.
"""

import pytest
import torch

from kgx_spacy.kge import TriplesFactory

N_COUPLES = 12
PLANTED = [(f"b{i}", "spouse", f"a{i}") for i in range(3)]


def couples_graph():
    train = []
    for i in range(N_COUPLES):
        train.append((f"a{i}", "spouse", f"b{i}"))
        if (f"b{i}", "spouse", f"a{i}") not in PLANTED:
            train.append((f"b{i}", "spouse", f"a{i}"))
        train.append((f"a{i}", "next", f"a{(i + 1) % N_COUPLES}"))
    return train


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def couples():
    """(factory, train ids, planted ids)."""
    train = couples_graph()
    factory = TriplesFactory.from_triples(train)
    return factory, factory.map(train), factory.map(PLANTED)


@pytest.fixture
def tsv_files(tmp_path):
    """train.tsv (CRLF, like FB15k-237) and test.tsv of the couples graph."""
    train = tmp_path / "train.tsv"
    train.write_bytes("".join(f"{h}\t{r}\t{t}\r\n" for h, r, t in couples_graph()).encode())
    test = tmp_path / "test.tsv"
    test.write_text("".join(f"{h}\t{r}\t{t}\n" for h, r, t in PLANTED))
    return train, test
