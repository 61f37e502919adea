"""int8 inference on CPU: dynamic quantisation of the encoder's linear layers.

The encoder's forward pass is almost all of a pipeline's CPU time, so quantising its
``torch.nn.Linear`` layers (int8 weights, activations quantised on the fly, fbgemm/x86
kernels) is what makes a pipeline faster than the fp32 encoder alone. It is a load-time
setting of ``kgx.TransformerModel.v1`` (``quantize = "int8"``): a pipeline keeps its fp32
weights on disk and quantises them as it loads, so training always stays fp32 and a
quantised copy can be turned back. Three ways in, one mechanism:

- a config setting: ``[components.transformer.model] quantize = "int8"``;
- at load time: ``load_quantized(model)`` (``kgx extract --quantize int8``);
- a quantised copy on disk: ``write_quantized(model, output)`` (``kgx quantize``).

PyTorch's ``quantize_dynamic`` rather than ONNX Runtime: it runs inside the
spacy-transformers shim with no export step and no second runtime to install.
"""

import contextlib
import warnings
from pathlib import Path
from typing import Any, Dict, Optional, Union

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


def quantize_module(module: torch.nn.Module, scheme: str = "int8") -> torch.nn.Module:
    """A quantised copy of ``module`` (``module`` itself is left as it is).

    int8: every ``torch.nn.Linear`` with per-tensor int8 weights (``default_dynamic_qconfig``);
    embeddings, layer norms and attention products stay fp32.
    """
    check_scheme(scheme)
    from torch.ao.quantization import default_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():  # torch.ao's notice that torchao is its successor
        warnings.simplefilter("ignore")
        return quantize_dynamic(module, {torch.nn.Linear: default_dynamic_qconfig}, dtype=torch.qint8)


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


def write_quantized(model: Union[str, Path], output: Union[str, Path], scheme: Optional[str] = "int8") -> Path:
    """Save a copy of ``model`` at ``output`` that ``spacy.load`` reads back quantised.

    The copy holds the same (fp32) weights and a config that says ``quantize = scheme``;
    ``scheme=None`` writes an fp32 copy again.
    """
    nlp = load_quantized(model, scheme)
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
