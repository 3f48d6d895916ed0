"""Networks: "dumb" architectures that map an input tensor to output logits, nothing more.

Everything that makes a network usable (data formatting, loss, metrics, weights) lives in
`text_recognizer.models`.
"""

from text_recognizer.networks.mlp import mlp

NETWORKS = {"mlp": mlp}

__all__ = ["NETWORKS", "mlp"]
