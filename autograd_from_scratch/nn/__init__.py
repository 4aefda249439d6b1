"""`afs.nn`: modules, parameters and layers, as `torch.nn`."""
from . import functional, init
from .layers import (
                     AdaptiveAvgPool2d,
                     BatchNorm2d,
                     Conv2d,
                     CrossEntropyLoss,
                     Flatten,
                     Identity,
                     Linear,
                     MaxPool2d,
                     MSELoss,
                     ReLU,
)
from .module import Module, Sequential
from .parameter import Parameter

__all__ = [
    "AdaptiveAvgPool2d", "BatchNorm2d", "Conv2d", "CrossEntropyLoss", "Flatten", "Identity",
    "Linear", "MSELoss", "MaxPool2d", "Module", "Parameter", "ReLU", "Sequential", "functional",
    "init",
]
