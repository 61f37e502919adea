"""int8 inference on CPU: dynamic quantisation of the encoder's linear layers.

The encoder's forward pass is almost all of a pipeline's CPU time, so quantising its
``torch.nn.Linear`` layers (int8 weights, activations quantised on the fly, fbgemm/x86
kernels) is what makes a pipeline faster than the fp32 encoder alone. It is a load-time
setting of ``kgx.TransformerModel.v1`` (``quantize = "int8"``): a pipeline keeps its fp32
weights on disk and quantises them as it loads, so training always stays fp32 and a
quantised copy can be turned back. Three ways in, one mechanism:

- a config setting: ``[components.transformer.model] quantize = "int8"``;
- at load time: ``load_quantized(model)`` (``kgx extract --quantize int8``);
- a quantised copy on disk: ``write_quantized(model, output)`` (``kgx quantize``), which
  can also calibrate the int8 layers on texts like the user's (``--calibrate``).

PyTorch's ``quantize_dynamic`` rather than ONNX Runtime: it runs inside the
spacy-transformers shim with no export step and no second runtime to install.
"""

import contextlib
import copy
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Union

import torch

from .errors import KgxInputError

SCHEMES = ("int8",)
# The architectures whose arguments kgx.TransformerModel.v1 accepts unchanged.
TRANSFORMER_ARCHITECTURES = {
    "kgx.TransformerModel.v1",
    "spacy-transformers.TransformerModel.v1",
    "spacy-transformers.TransformerModel.v2",
    "spacy-transformers.TransformerModel.v3",
}


def check_scheme(scheme: Optional[str]) -> None:
    """ValueError unless ``scheme`` is None or one of SCHEMES."""
    if scheme is not None and scheme not in SCHEMES:
        raise ValueError(f"quantize must be one of {', '.join(SCHEMES)} or null, not {scheme!r}")


def quantize_module(
    module: torch.nn.Module, scheme: str = "int8", ranges: Optional[Dict[str, List[float]]] = None
) -> torch.nn.Module:
    """A quantised copy of ``module`` (``module`` itself is left as it is).

    int8: every ``torch.nn.Linear`` with per-channel int8 weights; embeddings, layer norms
    and attention products stay fp32.
    ranges: the largest |input| per input channel of each linear layer (``input_ranges``
        on the user's texts). With them, each layer first moves a share (``SMOOTHING``) of
        its input's range into its weights (SmoothQuant: ``W x = (W·s)(x / s)``, exact in
        fp32), so that the activations, quantised per tensor on the fly, lose less to the
        few channels with outliers. On CoNLL04 dev it halved the entities that changed.
    """
    check_scheme(scheme)
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    module = copy.deepcopy(module)
    if ranges:
        _smooth(module, ranges, SMOOTHING)
    with warnings.catch_warnings():  # torch.ao's notice that torchao is its successor
        warnings.simplefilter("ignore")
        return quantize_dynamic(module, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8, inplace=True)


# α of SmoothQuant: how much of an input channel's range its weights take (chosen on
# CoNLL04 dev among 0.65, 0.8, 0.9 and 1.0).
SMOOTHING = 0.8


def input_ranges(module: torch.nn.Module, run: Callable[[], object]) -> Dict[str, List[float]]:
    """Linear layer name → the largest |input| per input channel while ``run()`` runs
    ``module`` (fp32) on calibration texts."""
    ranges, hooks = {}, []

    def record(name):
        def hook(layer, args):
            x = args[0].detach().abs().reshape(-1, args[0].shape[-1]).amax(0)
            ranges[name] = torch.maximum(ranges[name], x) if name in ranges else x
        return hook

    for name, layer in module.named_modules():
        if isinstance(layer, torch.nn.Linear):
            hooks.append(layer.register_forward_pre_hook(record(name)))
    try:
        with torch.inference_mode():
            run()
    finally:
        for hook in hooks:
            hook.remove()
    return {name: values.float().tolist() for name, values in ranges.items()}


class _Smoothed(torch.nn.Module):
    """``linear(x * inverse)``: a linear layer whose input columns were scaled by 1/inverse."""

    def __init__(self, inverse: torch.Tensor, linear: torch.nn.Module):
        super().__init__()
        self.register_buffer("inverse", inverse)
        self.linear = linear

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x * self.inverse)


def _smooth(module: torch.nn.Module, ranges: Dict[str, List[float]], alpha: float) -> None:
    """In place: each linear layer named in ``ranges`` becomes ``_Smoothed`` with
    s = range^α / max|W column|^(1-α) (SmoothQuant's per-channel scale)."""
    for name, values in ranges.items():
        parent_name, _, attr = name.rpartition(".")
        parent = module.get_submodule(parent_name) if parent_name else module
        linear = getattr(parent, attr, None)
        if not isinstance(linear, torch.nn.Linear) or len(values) != linear.in_features:
            continue
        with torch.no_grad():
            act = torch.tensor(values, dtype=linear.weight.dtype).clamp(min=1e-5)
            weight = linear.weight.abs().amax(0).clamp(min=1e-5)
            scale = (act**alpha / weight ** (1 - alpha)).clamp(min=1e-5)
            linear.weight.mul_(scale[None, :])
        setattr(parent, attr, _Smoothed((1.0 / scale).detach(), linear))


def quantize_overrides(config, scheme: Optional[str] = "int8") -> Dict[str, Any]:
    """Config overrides (dotted keys) that make every transformer component of ``config``
    load as ``kgx.TransformerModel.v1`` with ``quantize = scheme`` (None: fp32 again).

    RAISES KgxInputError: the config has no transformer component to quantise.
    """
    check_scheme(scheme)
    overrides = {}
    for name, component in config.get("components", {}).items():
        model = component.get("model", {}) if isinstance(component, dict) else {}
        if component.get("factory") == "transformer" and model.get("@architectures") in TRANSFORMER_ARCHITECTURES:
            overrides[f"components.{name}.model.@architectures"] = "kgx.TransformerModel.v1"
            overrides[f"components.{name}.model.quantize"] = scheme
    if not overrides:
        raise KgxInputError("--quantize", "the pipeline has no transformer component to quantise")
    return overrides


def pipeline_config(model: Union[str, Path]):
    """The config of a saved pipeline: a folder or an installed package's data folder."""
    import spacy.util

    path = Path(model)
    if not path.is_dir():
        try:
            path = spacy.util.get_package_path(str(model))
        except (ModuleNotFoundError, ImportError):
            raise KgxInputError(model, "cannot load the pipeline: not a folder or an installed package") from None
        path = next((p.parent for p in sorted(path.glob("*/config.cfg"))), path)
    if not (path / "config.cfg").is_file():
        raise KgxInputError(path, "cannot load the pipeline: no config.cfg")
    return spacy.util.load_config(path / "config.cfg", interpolate=False)


def load_quantized(model: Union[str, Path], scheme: Optional[str] = "int8", **kwargs):
    """``spacy.load(model, **kwargs)`` with its encoder(s) quantised as ``scheme``."""
    import spacy

    overrides = quantize_overrides(pipeline_config(model), scheme)
    return spacy.load(model, config=overrides, **kwargs)


def write_quantized(
    model: Union[str, Path], output: Union[str, Path], scheme: Optional[str] = "int8",
    texts: Optional[Iterable[str]] = None,
) -> Path:
    """Save a copy of ``model`` at ``output`` that ``spacy.load`` reads back quantised.

    The copy holds the same (fp32) weights and a config that says ``quantize = scheme``;
    ``scheme=None`` writes an fp32 copy again.
    texts: calibration texts like the ones the pipeline will read (a few hundred): the
        encoder's input ranges on them are saved with the copy, and its int8 layers are
        smoothed with them (``quantize_module``). Without: those of ``model``, if any.
    """
    nlp = load_quantized(model, scheme)
    if texts is not None:
        docs = [nlp.make_doc(text) for text in texts]
        if not docs:
            raise KgxInputError("--calibrate", "no calibration texts")
        encoders = [node for _, pipe in nlp.pipeline if hasattr(pipe, "model")
                    for node in pipe.model.walk() if hasattr(node, "calibrate")]
        for encoder in encoders:
            encoder.calibrate(docs)
    output = Path(output)
    nlp.to_disk(output)
    return output


@contextlib.contextmanager
def swapped_module(shim, module: torch.nn.Module):
    """Within the block, a spacy-transformers ``HFShim`` runs ``module``."""
    old = shim._model
    set_module(shim, module)
    try:
        yield
    finally:
        set_module(shim, old)


def set_module(shim, module: torch.nn.Module) -> None:
    """Make an ``HFShim`` run ``module`` (its torch model and its Hugging Face objects)."""
    shim._model = module
    shim._hfmodel.transformer = module
