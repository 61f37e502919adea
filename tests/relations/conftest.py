import pytest

from test_relations import train


@pytest.fixture(scope="module")
def trained_relations(blank_with_transformer):
    """(pipeline, training examples): entity ruler + transformer + overfit relation classifier."""
    return train(blank_with_transformer)
