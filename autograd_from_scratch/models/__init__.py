"""`afs.models`: torchvision's architectures, built from `afs.nn`."""
from .resnet import BasicBlock, ResNet, resnet18, resnet34

__all__ = ["BasicBlock", "ResNet", "resnet18", "resnet34"]
