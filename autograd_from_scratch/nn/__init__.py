"""`afs.nn`: modules, parameters and layers, as `torch.nn`."""
from . import functional, init
from .layers import (
                     AdaptiveAvgPool2d,
                     BatchNorm2d,
                     BCELoss,
                     BCEWithLogitsLoss,
                     Conv2d,
                     CrossEntropyLoss,
                     Dropout,
                     Flatten,
                     Identity,
                     Linear,
                     LogSoftmax,
                     MaxPool2d,
                     MSELoss,
                     NLLLoss,
                     ReLU,
                     Sigmoid,
                     Softmax,
                     Tanh,
)
from .module import Module, Sequential
from .parameter import Parameter

__all__ = [
    "AdaptiveAvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm2d", "Conv2d",
    "CrossEntropyLoss", "Dropout", "Flatten", "Identity", "Linear", "LogSoftmax", "MSELoss",
    "MaxPool2d", "Module", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax",
    "Tanh", "functional", "init",
]
