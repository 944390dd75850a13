"""The end-to-end test models: small torch modules, exported to ONNX.

Export uses torch's TorchScript-based exporter at opset 17 (the newest opset
Debian's libonnx 1.12 knows). Batch norm is kept as a BatchNormalization node:
the model is in eval() but exported with TrainingMode.PRESERVE, which skips
the exporter's Conv+BatchNorm folding, and constant folding is off.
"""

import warnings

import numpy as np
import torch
from torch import nn

OPSET = 17



def mlp():
    return nn.Sequential(
        nn.Linear(784, 128), nn.ReLU(),
        nn.Linear(128, 64), nn.ReLU(),
        nn.Linear(64, 10), nn.Softmax(dim=1))


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),   # 28 -> 24 -> 12
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),  # 12 -> 8 -> 4
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 120), nn.ReLU(),
        nn.Linear(120, 10))


def bn_cnn():
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        nn.AvgPool2d(2),                                   # 16 -> 8
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),                           # GlobalAveragePool
        nn.Flatten(),
        nn.Linear(16, 10))
    # Non-trivial running statistics and affine parameters, so that a wrong
    # batch-norm formula cannot pass.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    return model


# name -> (constructor, input shape, ONNX ops the export must contain)
MODELS = {
    "mlp": (mlp, (3, 784), {"Gemm", "Relu", "Softmax"}),
    "lenet": (lenet, (2, 1, 28, 28),
              {"Conv", "Relu", "MaxPool", "Flatten", "Gemm"}),
    "bn_cnn": (bn_cnn, (4, 3, 16, 16),
               {"Conv", "BatchNormalization", "Relu", "AveragePool",
                "GlobalAveragePool", "Flatten", "Gemm"}),
}


def build_and_export(name, path, seed):
    """Builds model `name` with seeded weights, exports it to `path`.

    Returns (inputs, torch_outputs) as lists of float32 numpy arrays.
    """
    make, shape, _ = MODELS[name]
    torch.manual_seed(seed)
    model = make().eval()
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated
        torch.onnx.export(
            model, (torch.from_numpy(x),), str(path), dynamo=False,
            opset_version=OPSET, do_constant_folding=False,
            training=torch.onnx.TrainingMode.PRESERVE,
            input_names=["input"], output_names=["output"])
    return [x], [expected]
