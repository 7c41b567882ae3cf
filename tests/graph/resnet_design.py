"""torchvision's ResNet (bottleneck v1.5: the stride sits on the 3×3 convolution) written as a
LayerLoom design with composite blocks, which the tests of budgets and of published counts
validate; ``node`` and ``chain`` build a design's JSON."""

from __future__ import annotations


def node(id, type, params=None, repeat=None):
    made = {"id": id, "type": type}
    if params:
        made["params"] = params
    if repeat is not None:
        made["repeat"] = repeat
    return made


def chain(*ids):
    return [{"source": a, "target": b} for a, b in zip(ids, ids[1:])]


def resnet(stages=(3, 8, 36, 3), name: str = "resnet152") -> dict:
    """torchvision's ResNet of ``stages`` bottlenecks per stage (resnet152 by default;
    resnet50: ``(3, 4, 6, 3)``) as a design with composite blocks."""
    conv = {"bias": False}
    projection = {
        "params": {"channels": 256, "stride": 1},
        "nodes": [node("x", "Input"),
                  node("conv", "Conv2d", {"out_channels": "=channels", "kernel_size": 1,
                                          "stride": "=stride", **conv}),
                  node("bn", "BatchNorm2d"), node("out", "Output")],
        "edges": chain("x", "conv", "bn", "out"),
    }
    bottleneck = {
        "params": {"width": 64, "stride": 1},
        "nodes": [
            node("x", "Input"),
            node("conv1", "Conv2d", {"out_channels": "=width", "kernel_size": 1, **conv}),
            node("bn1", "BatchNorm2d"), node("relu1", "ReLU"),
            node("conv2", "Conv2d", {"out_channels": "=width", "kernel_size": 3,
                                     "stride": "=stride", "padding": 1, **conv}),
            node("bn2", "BatchNorm2d"), node("relu2", "ReLU"),
            node("conv3", "Conv2d", {"out_channels": "=4 * width", "kernel_size": 1, **conv}),
            node("bn3", "BatchNorm2d"),
            node("downsample", "Projection", {"channels": "=4 * width", "stride": "=stride"},
                 repeat="=1 if stride != 1 or in_shape[0] != 4 * width else 0"),
            node("add", "Add"), node("relu3", "ReLU"), node("out", "Output"),
        ],
        "edges": chain("x", "conv1", "bn1", "relu1", "conv2", "bn2", "relu2", "conv3", "bn3",
                       "add", "relu3", "out") + chain("x", "downsample", "add"),
    }
    nodes = [node("image", "Input", {"shape": [3, 224, 224]}),
             node("conv1", "Conv2d", {"out_channels": 64, "kernel_size": 7, "stride": 2,
                                      "padding": 3, **conv}),
             node("bn1", "BatchNorm2d"), node("relu", "ReLU"),
             node("maxpool", "MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1})]
    ids = [n["id"] for n in nodes]
    for i, (width, blocks) in enumerate(zip((64, 128, 256, 512), stages), start=1):
        nodes.append(node(f"layer{i}_0", "Bottleneck",
                          {"width": width, "stride": 1 if i == 1 else 2}))
        nodes.append(node(f"layer{i}", "Bottleneck", {"width": width}, repeat=blocks - 1))
        ids += [f"layer{i}_0", f"layer{i}"]
    nodes += [node("avgpool", "AdaptiveAvgPool2d", {"output_size": 1}),
              node("flatten", "Flatten"), node("fc", "Linear", {"out_features": 1000}),
              node("logits", "Output")]
    ids += ["avgpool", "flatten", "fc", "logits"]
    return {"format": "layerloom-graph", "version": 1, "name": name,
            "blocks": {"Projection": projection, "Bottleneck": bottleneck},
            "nodes": nodes, "edges": chain(*ids)}
