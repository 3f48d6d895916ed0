"""Networks: "dumb" architectures that map an input tensor to output logits, nothing more.

Everything that makes a network usable (data formatting, loss, metrics, weights) lives in
`text_recognizer.models`.
"""

from text_recognizer.networks.mlp import mlp

NETWORKS = {"mlp": mlp}

__all__ = ["NETWORKS", "mlp"]

from text_recognizer.networks.lenet import lenet  # noqa: E402  (extends the registry above)
from text_recognizer.networks.line_cnn import (  # noqa: E402
    line_cnn_all_conv,
    line_cnn_features,
    line_cnn_sliding_window,
)

NETWORKS.update(
    lenet=lenet, line_cnn_sliding_window=line_cnn_sliding_window, line_cnn_all_conv=line_cnn_all_conv
)
__all__ += ["lenet", "line_cnn_all_conv", "line_cnn_features", "line_cnn_sliding_window"]
