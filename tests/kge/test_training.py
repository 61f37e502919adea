"""Tiny models learn a planted pattern, repeat exactly with a seed, and use no fixed device."""

import itertools
from dataclasses import replace
from types import SimpleNamespace

import pytest
import torch

from kgx_spacy.errors import KgxInputError
from kgx_spacy.kge import KGEModel, TrainingConfig, evaluate, train
from kgx_spacy.kge import training
from kgx_spacy.kge.training import scores_cross_entropy, self_adversarial_loss, with_inverses

ONE_TO_ALL = TrainingConfig(epochs=60, batch_size=16, lr=0.1, n3_weight=1e-3)
NEGATIVE_SAMPLING = TrainingConfig(
    mode="negative-sampling", epochs=60, batch_size=16, optimizer="adam", lr=0.05,
    negatives=16, margin=6.0, adversarial_temperature=1.0,
)


@pytest.mark.parametrize(
    "interaction,reciprocal,config",
    [
        ("complex", True, ONE_TO_ALL),
        ("distmult", False, ONE_TO_ALL),
        ("rotate", False, NEGATIVE_SAMPLING),
        ("complex", True, replace(NEGATIVE_SAMPLING, margin=0.0)),
    ],
)
def test_tiny_model_ranks_the_planted_triple_first(couples, interaction, reciprocal, config):
    factory, triples, planted = couples
    model = KGEModel(interaction, factory, dim=8, reciprocal=reciprocal)
    result = train(model, triples, config)
    assert len(result.losses) == config.epochs and result.losses[-1] < result.losses[0]
    tails = model.score_t(planted[:, 0], planted[:, 1])
    assert (tails.argmax(dim=1) == planted[:, 2]).all()
    assert evaluate(model, planted, [triples])["mrr"] > 0.9


def test_training_repeats_exactly_with_a_seed(couples):
    factory, triples, _ = couples
    config = TrainingConfig(mode="negative-sampling", epochs=3, batch_size=8, optimizer="adam", lr=0.01, negatives=4)
    runs = []
    for _ in range(2):
        model = KGEModel("transe", factory, dim=4, seed=3)
        runs.append((train(model, triples, config).losses, model.entity_embeddings.detach().clone()))
    assert runs[0][0] == runs[1][0]
    assert torch.equal(runs[0][1], runs[1][1])


def test_training_follows_the_configured_device(couples):
    factory, triples, _ = couples
    model = KGEModel("distmult", factory, dim=4)
    train(model, triples, TrainingConfig(epochs=1, device="cpu"))
    assert model.entity_embeddings.device.type == "cpu"


def test_reciprocal_model_predicts_heads_with_the_inverse_relation(couples):
    factory, triples, _ = couples
    model = KGEModel("complex", factory, dim=4, reciprocal=True)
    r, t = triples[:, 1], triples[:, 2]
    torch.testing.assert_close(model.score_h(r, t), model.score_t(t, r + len(factory.relations)))
    assert model.relation_embeddings.shape[0] == 2 * len(factory.relations)
    assert with_inverses(triples[:1], 2).tolist() == [triples[0].tolist(), [triples[0, 2], triples[0, 1] + 2, triples[0, 0]]]


def test_self_adversarial_weights_favour_hard_negatives():
    positive = torch.tensor([0.0])
    negative = torch.tensor([[-10.0, 0.0]], requires_grad=True)
    self_adversarial_loss(positive, negative, margin=0.0, temperature=1.0).backward()
    easy, hard = negative.grad[0].tolist()
    assert hard > 10 * easy > 0
    uniform = torch.tensor([[-10.0, 0.0]], requires_grad=True)
    self_adversarial_loss(positive, uniform, margin=0.0, temperature=0.0).backward()
    assert uniform.grad[0, 1] < hard


def test_unknown_training_mode_is_refused():
    with pytest.raises(ValueError, match="unknown training mode"):
        TrainingConfig(mode="k-vs-all")


class Stop(Exception):
    pass


def test_a_stopped_checkpointed_run_continues_to_the_same_embeddings(couples, tmp_path):
    """Killed after epoch 3 (the checkpoint of epoch 3 written), started again with the same
    folder: epochs 4-6 run, and the weights, losses and validations equal an uninterrupted run."""
    factory, triples, planted = couples
    config = replace(ONE_TO_ALL, epochs=6, eval_every=2)

    def stop_after_3(epoch, loss):
        if epoch == 3:
            raise Stop

    whole = KGEModel("complex", factory, dim=4, seed=1)
    expected = train(whole, triples, config, valid=planted)
    stopped = KGEModel("complex", factory, dim=4, seed=1)
    with pytest.raises(Stop):
        train(stopped, triples, config, on_epoch=stop_after_3, valid=planted, checkpoint=tmp_path)
    epochs = []
    again = KGEModel("complex", factory, dim=4, seed=99)  # another start: the checkpoint decides
    result = train(again, triples, config, on_epoch=lambda e, _: epochs.append(e), valid=planted, checkpoint=tmp_path)
    assert epochs == [4, 5, 6]
    assert result.losses == expected.losses and result.valid_mrr == expected.valid_mrr
    assert torch.equal(again.entity_embeddings, whole.entity_embeddings)
    assert torch.equal(again.relation_embeddings, whole.relation_embeddings)


def test_a_checkpoint_of_another_configuration_is_refused(couples, tmp_path):
    factory, triples, _ = couples
    train(KGEModel("complex", factory, dim=4), triples, replace(ONE_TO_ALL, epochs=1), checkpoint=tmp_path)
    with pytest.raises(KgxInputError, match="lr"):
        train(KGEModel("complex", factory, dim=4), triples, replace(ONE_TO_ALL, epochs=2, lr=0.5), checkpoint=tmp_path)


def test_early_stopping_keeps_the_best_validation(couples):
    """lr 5.0 makes Adagrad overshoot: validation MRR falls after its best, patience 2 stops
    the run, and the model holds the best validation's weights."""
    factory, triples, planted = couples
    config = TrainingConfig(epochs=60, batch_size=16, lr=5.0, eval_every=1, patience=2)
    model = KGEModel("complex", factory, dim=4, seed=0)
    result = train(model, triples, config, valid=planted)
    best_epoch, best_mrr = max(result.valid_mrr, key=lambda v: v[1])
    assert result.best_epoch == best_epoch and result.stopped_early
    assert len(result.losses) == result.valid_mrr[-1][0] < config.epochs
    assert [e for e, _ in result.valid_mrr if e > best_epoch] == [best_epoch + 1, best_epoch + 2]
    assert evaluate(model, planted, [triples])["mrr"] == pytest.approx(best_mrr)


def test_a_checkpoint_of_another_graph_is_refused(couples, tmp_path):
    factory, triples, _ = couples
    train(KGEModel("complex", factory, dim=4), triples, replace(ONE_TO_ALL, epochs=1), checkpoint=tmp_path)
    with pytest.raises(KgxInputError, match="another graph"):
        train(KGEModel("complex", factory, dim=6), triples, replace(ONE_TO_ALL, epochs=2), checkpoint=tmp_path)


def test_a_time_budget_is_never_overrun(couples, monkeypatch):
    """On a clock where an epoch and a validation each take a second, a 4.5 s budget holds
    two epochs and their validations: a third would end at 6 s."""
    factory, triples, planted = couples
    ticks = itertools.count()
    monkeypatch.setattr(training, "time", SimpleNamespace(perf_counter=lambda: float(next(ticks))))
    config = replace(ONE_TO_ALL, epochs=5, eval_every=1, max_seconds=4.5)
    result = train(KGEModel("complex", factory, dim=4), triples, config, valid=planted)
    assert (len(result.losses), len(result.valid_mrr), result.stopped_by) == (2, 2, "max_seconds")
    assert result.seconds == 4.0


def test_the_fused_cross_entropy_is_torchs():
    scores = torch.randn(6, 11, dtype=torch.float64)
    targets = torch.tensor([0, 3, 10, 3, 5, 7])
    for smoothing in (0.0, 0.1):
        ours = scores.clone().requires_grad_()
        theirs = scores.clone().requires_grad_()
        loss = scores_cross_entropy(ours * 1.0, targets, smoothing)
        expected = torch.nn.functional.cross_entropy(theirs, targets, label_smoothing=smoothing)
        loss.backward()
        expected.backward()
        assert loss.item() == pytest.approx(expected.item(), rel=1e-12)
        assert torch.allclose(ours.grad, theirs.grad, rtol=1e-10, atol=1e-12)


def test_a_time_budget_ends_the_run_and_a_continued_run_goes_on(couples, tmp_path):
    factory, triples, _ = couples
    config = replace(ONE_TO_ALL, epochs=5, max_seconds=1e-9)
    result = train(KGEModel("complex", factory, dim=4), triples, config, checkpoint=tmp_path)
    assert (len(result.losses), result.stopped_by) == (1, "max_seconds")
    result = train(KGEModel("complex", factory, dim=4), triples, replace(config, max_seconds=0.0), checkpoint=tmp_path)
    assert (len(result.losses), result.stopped_by) == (5, "epochs")
