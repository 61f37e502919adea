"""Save/load round trips give identical scores, from memory or memory-mapped."""

import json

import numpy as np
import pytest
import torch

from kgx_spacy.errors import KgxInputError
from kgx_spacy.kge import INTERACTIONS, KGEModel


@pytest.mark.parametrize("interaction", sorted(INTERACTIONS))
@pytest.mark.parametrize("mmap", [False, True])
def test_round_trip_gives_identical_scores(couples, tmp_path, interaction, mmap):
    factory, triples, _ = couples
    model = KGEModel(interaction, factory, dim=6, reciprocal=interaction == "complex", seed=7)
    model.to_disk(tmp_path / "kge")
    loaded = KGEModel.from_disk(tmp_path / "kge", mmap=mmap)
    assert loaded.config == model.config
    assert loaded.factory.entities == factory.entities and loaded.factory.relations == factory.relations
    assert torch.equal(loaded.score_hrt(triples), model.score_hrt(triples))
    h, r, t = triples.unbind(dim=1)
    assert torch.equal(loaded.score_t(h, r), model.score_t(h, r))
    assert torch.equal(loaded.score_h(r, t), model.score_h(r, t))


def test_saved_files_are_plain_numpy_and_json(couples, tmp_path):
    factory, _, _ = couples
    KGEModel("rotate", factory, dim=3).to_disk(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entities.npy", "kge.json", "relations.npy"]
    assert np.load(tmp_path / "entities.npy", mmap_mode="r").shape == (len(factory.entities), 6)
    meta = json.loads((tmp_path / "kge.json").read_text())
    assert meta["interaction"] == "rotate" and meta["entities"] == factory.entities


def test_loading_a_mismatched_or_missing_model_names_the_file(couples, tmp_path):
    factory, _, _ = couples
    with pytest.raises(KgxInputError, match="not a saved KGE model"):
        KGEModel.from_disk(tmp_path)
    KGEModel("distmult", factory, dim=3).to_disk(tmp_path)
    np.save(tmp_path / "relations.npy", np.zeros((1, 3), dtype=np.float32))
    with pytest.raises(KgxInputError, match=r"relations\.npy: shape \(1, 3\), expected"):
        KGEModel.from_disk(tmp_path)
