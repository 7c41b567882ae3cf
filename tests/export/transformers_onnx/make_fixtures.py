"""Writes the ONNX files beside it: Hugging Face ``transformers`` models of tiny configs (width
32, 2 layers, 2 heads, a vocabulary of 100), exported as their users export them, with
``torch.onnx.export`` of the model's ``logits``. The tests that import them do not need
``transformers``; this script does (made with transformers 5.25.0, torch 2.13.0, onnx 1.23.2).
``outputs.safetensors`` holds what the models give on fixed inputs, and their parameter
counts.

    python tests/export/transformers_onnx/make_fixtures.py

Each model's weights are moved off their initial values (biases of zeros, norms of ones), as
training moves them: the exporters leave a bias of zeros out of the file and write equal
weights once, which a trained model does not show. Token ids are 8 steps, images 16×16.

- ``bert_torchscript.onnx``: BertForSequenceClassification by the TorchScript exporter
  (``dynamo=False``, opset 17), given ``input_ids`` alone: its token types are a buffer of
  zeros expanded over the batch, its positions a buffer sliced to the length.
- ``bert_mask_torchscript.onnx``: the same given ``attention_mask`` too (a padding mask).
- ``distilbert_dynamo.onnx``, ``vit_dynamo.onnx``, ``gpt2_dynamo.onnx``:
  DistilBertForSequenceClassification, ViTForImageClassification and GPT2LMHeadModel by the
  dynamo exporter (the default), opset 18: attention written out with transformers' mask
  (all true, or causal for GPT-2) and a NaN guard after the softmax. GPT-2's TorchScript
  export fails inside transformers 5 (``aten::diff``), so dynamo is how its users export it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import onnx
import torch
from safetensors.torch import save_file
from transformers import (BertConfig, BertForSequenceClassification, DistilBertConfig,
                          DistilBertForSequenceClassification, GPT2Config, GPT2LMHeadModel,
                          ViTConfig, ViTForImageClassification)

HERE = Path(__file__).parent


class Logits(torch.nn.Module):
    """The model's ``logits`` alone (its output is a ModelOutput)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, *inputs):
        return self.model(*inputs, use_cache=False).logits if isinstance(
            self.model, GPT2LMHeadModel) else self.model(*inputs).logits


def trained(model):
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=generator) * 0.05)
    return Logits(model.eval()).eval()


def torchscript(model, inputs, names, file):
    axes = {name: {0: "batch"} for name in [*names, "logits"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, inputs, str(HERE / file), dynamo=False, opset_version=17,
                          input_names=names, output_names=["logits"], dynamic_axes=axes)


def dynamo(model, x, name, file):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(model, (x,), dynamo=True, opset_version=18,
                                    input_names=[name], output_names=["logits"],
                                    dynamic_shapes=(({0: torch.export.Dim("batch")},),))
    exported = program.model_proto
    for node in exported.graph.node:  # the stack traces name files of the machine it ran on
        kept = [p for p in node.metadata_props if p.key != "pkg.torch.onnx.stack_trace"]
        del node.metadata_props[:]
        node.metadata_props.extend(kept)
    onnx.save(exported, str(HERE / file))


def main():
    torch.manual_seed(0)
    ids = torch.randint(0, 100, (2, 8))
    image = torch.randn(2, 3, 16, 16)
    bert = trained(BertForSequenceClassification(BertConfig(
        vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, max_position_embeddings=64, num_labels=3)))
    torchscript(bert, (ids,), ["input_ids"], "bert_torchscript.onnx")
    torchscript(bert, (ids, torch.ones_like(ids)), ["input_ids", "attention_mask"],
                "bert_mask_torchscript.onnx")
    distilbert = trained(DistilBertForSequenceClassification(DistilBertConfig(
        vocab_size=100, dim=32, n_layers=2, n_heads=2, hidden_dim=37,
        max_position_embeddings=64, num_labels=3)))
    dynamo(distilbert, ids, "input_ids", "distilbert_dynamo.onnx")
    vit = trained(ViTForImageClassification(ViTConfig(
        image_size=16, patch_size=4, num_channels=3, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=2, intermediate_size=37, num_labels=3)))
    dynamo(vit, image, "pixel_values", "vit_dynamo.onnx")
    gpt2 = trained(GPT2LMHeadModel(GPT2Config(
        vocab_size=100, n_embd=32, n_layer=2, n_head=2, n_positions=64, use_cache=False)))
    dynamo(gpt2, ids, "input_ids", "gpt2_dynamo.onnx")
    # what each gives on fixed inputs, for the tests to compare with the original
    generator = torch.Generator().manual_seed(3)
    probe_ids = torch.randint(0, 100, (3, 8), generator=generator)
    probe_image = torch.randn(3, 3, 16, 16, generator=generator)
    with torch.no_grad():
        outputs = {"input_ids": probe_ids, "pixel_values": probe_image,
                   "bert": bert(probe_ids), "distilbert": distilbert(probe_ids),
                   "vit": vit(probe_image), "gpt2": gpt2(probe_ids)}
    for name, model in (("bert", bert), ("distilbert", distilbert), ("vit", vit)):
        outputs[f"{name}_parameters"] = torch.tensor(sum(p.numel() for p in model.parameters()))
    save_file({k: v.contiguous() for k, v in outputs.items()}, HERE / "outputs.safetensors")


if __name__ == "__main__":
    main()
