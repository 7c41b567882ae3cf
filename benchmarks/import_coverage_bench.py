"""Import coverage: which public architectures ``import-torch`` (and ``import-onnx``) bring in.

The architectures are written in ``tests/export/test_import_families.py``,
``tests/export/test_import_deit_levit.py`` (DeiT's distillation token, LeViT),
``tests/export/test_import_swin.py`` (torchvision's Swin V1) and
``tests/export/test_import_torch.py`` in the style of torchvision's and timm's own code (neither
library imports beside the CPU build of torch), the patterns users write in their own models
(``tests/export/test_import_normalize.py``: ``(x - self.mean) / self.std``,
``tests/export/test_import_clamp.py``: clamps to any two bounds,
``tests/export/test_import_attention.py``: attention written with chunk, view, transpose, @ and
softmax, and nanoGPT's with ``F.scaled_dot_product_attention``,
``tests/export/test_import_reductions.py``: CBAM's mean and max over the channels, attention
pooling's sum over the steps (Reduce), ``tests/export/test_import_positions_arange.py``:
minGPT's ``pos_emb(torch.arange(t))``, ``tests/export/test_import_upsample_align_corners.py``:
milesial's U-Net with ``bilinear=True``, ``tests/export/test_import_indexing.py``: YOLOv5's
Focus, GoogLeNet's ``transform_input``, TCN's last step,
``tests/export/test_import_subtract_divide.py``: centring by a computed mean,
``tests/export/test_import_layernorm_dims.py``: ``nn.LayerNorm([C, H, W])``,
``tests/export/test_import_deeplab.py``: torchvision's DeepLabV3 head, its ASPP pooling and logits
resized to another tensor's size (ResizeTo), ``tests/export/test_import_glu.py``: the TFT's gated
residual network and Conformer's convolution module (``F.glu``, ``nn.GLU``),
``tests/export/test_import_perceiver.py``: a Perceiver's latent array (LearnedTokens),
``tests/export/test_import_detr_decoder.py``: DETR's object queries, a learned embedding
repeated over the batch, and its cross-attention to the encoder's memory,
``tests/export/test_import_rotary.py``: RoPE, the RotaryEmbedding block on the queries and
keys, ``test_import_swin_windows.py``: the original Swin's ``window_partition``, which no block
holds, refused at its line saying what imports
(``test_import_written_out_bias.py``: Swin's relative position table on written-out scores, the
window attention below, refused naming the table and torchvision's ShiftedWindowAttention),
``test_import_merged_heads.py``: perceiver-pytorch's heads merged into the batch,
``test_import_recurrent_both_outputs.py``: an LSTM's outputs attended with its final state,
``test_import_repeat_to.py``: Bahdanau's decoder state repeated over the encoder's steps,
``test_import_stacked_sum.py``: WaveNet's stacked skip connections summed,
``test_import_exp.py``: GRU-D's input decay,
``test_import_subtracted_scores.py``: a padding and a causal mask subtracted from the scores
(``scores - (1 - mask) * 1e9``),
``test_import_label_input.py``: a conditional GAN's generator and discriminator, whose class
label ``[B]`` is an Input of shape ``[]`` into an Embedding,
``test_import_sequence_first.py``: torch's transformer modules built sequence-first
(``batch_first=False``) on permuted ``[S, B, E]`` tensors, the DETR paper's demo among them,
``test_import_sequence_first_rnn.py``: sequence-first LSTM, GRU and RNN text classifiers,
``test_import_detr_transformer.py``: the original DETR's own sequence-first transformer layers,
``test_import_encoder_masks.py``: PyTorch's transformer tutorial, its causal mask
(``generate_square_subsequent_mask``) to a sequence-first encoder,
``test_import_sequence_first_pooling.py``: sequence-first recurrent outputs max-pooled over the
steps (``out.max(0)[0]``, concat pooling) and ids turned by ``text.t()``,
``test_import_word_language_model.py``: PyTorch's word language model,
``test_import_pool_whole_dims.py``: bentrevett's FastText (``F.avg_pool2d`` over the steps),
``test_import_batch_of_one.py``: the DETR demo as its Colab writes it (one image only),
``test_import_causal_attention.py``: a causal attn_mask, PyTorch's translation tutorial's
``nn.Transformer`` given its ``tgt_mask``, a decoder given ``tgt_mask``,
``test_import_more_families.py``: torchvision's RegNetY and MobileNetV3-Small, torchaudio's M5
(a 1-D audio CNN) and Conformer (sequence-first layers), WaveNet's gated dilated causal
convolutions, a convolutional VAE sampling only while training, and, refused at their line
saying what imports, the VAE sampling in evaluation too, a TabNet-style prior made with
``ones_like`` and DETR's learned row and column tables (``PositionEmbeddingLearned``),
``test_import_step_loops.py``: loops over a sequence's steps, refused saying so and what
imports (bentrevett's seq2seq with teacher forcing, a Mamba-style scan),
``test_import_seq2seq_states.py``: a seq2seq decoder fed the whole target, started from the
encoder's final state (refused: no recurrent block takes an initial state) or given that state
beside every step (Cho et al.'s, which imports),
``tests/export/test_import_users_images.py`` and ``test_import_users_sequences.py``: users' own
models in their authors' style, milesial's U-Net with transposed convolutions, torchvision's
MobileNetV3 block, the official ConvNeXt with its own LayerNorm, a VAE's encoder, a GRU tagger,
locuslab's TCN with weight_norm, PointNet, lucidrains' ViT); those that
plain fx cannot trace for the baseline are tested only: nanoGPT's attention with its sliced
causal mask (``test_import_attention.py``), transformers' GPT-2 (``test_import_gpt2.py``), the
lecture GPT returning ``logits, None`` (``test_import_none_output.py``), ultralytics' C2f
(``test_import_c2f.py``), T5's and LLaMA's RMS norms (``test_import_rmsnorm.py``)), plus a few
patterns that still
have no block, every template through ONNX, and users' own ONNX files that leave the image's
height and width free (``tests/export/test_import_onnx_height_width.py``: a SegFormer-style
stage that puts its tokens back into a map; ``tests/export/test_import_onnx_convnext.py``: the
official ConvNeXt, whose channels-first LayerNorm the exporter writes out with ``Pow``), each
run imported at 24x40. For each: whether it imports, the first blocker
otherwise, the block count, whether the parameter count matches, the largest output difference
(on outputs of a real scale: the check wakes near-zero parameters), the import's time as a ratio
to a baseline measured in the same run (one ``torch.fx`` trace of the same model), and whether
the imported graph runs at another input size with the model's outputs there ("other size":
images traced at 16x16 run at 24x24, sequences 1.5 times as long, [L, F] steps or, where the
model takes only that, a Conv1d's [C, L] signal along its last axis; sizes kept symbolic:
ShuffleNet's channel shuffle is one ChannelShuffle block, attention's heads are Unflatten and
Permute blocks, no Reshape holding the traced height and width or length; "model fixed" where the
model itself takes only its size, a ViT's position table). Measured here: 9 of 9 image models
that run at another size themselves do so imported, ShuffleNet among them (before ChannelShuffle
its Reshape held 8x8) (and Swin V1, whose shifted windows pad and mask at 24x24 as the model
does); the input normalisation (one Normalize block) runs at 24x24 too, and both hand-written
attentions run at 24 steps (before MatMul and Unflatten the first stopped at its ``@``).

    python benchmarks/import_coverage_bench.py
    python benchmarks/import_coverage_bench.py --no-onnx     # the torch side only (faster)
    python benchmarks/import_coverage_bench.py --opsets 13,17,20   # the templates at each opset
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import fx, nn

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    path = ROOT / "tests" / "export" / f"{name}.py"
    if str(path.parent) not in sys.path:  # the tests' shared parts (unet_parts.py), as pytest
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class WindowAttention(nn.Module):
    """Window attention written by hand on [windows, N, C] tokens (no block: torchvision's
    ShiftedWindowAttention module imports whole, this pattern of functions does not)."""

    def __init__(self, dim=16, window=4, heads=2):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.table = nn.Parameter(torch.randn((2 * window - 1) ** 2, heads) * 0.02)
        coords = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window),
                                            indexing="ij")).flatten(1)
        rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + window - 1
        self.register_buffer("index", rel[..., 0] * (2 * window - 1) + rel[..., 1])
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q * self.scale) @ k.transpose(-2, -1)
        attn = attn + self.table[self.index.view(-1)].view(n, n, -1).permute(2, 0, 1)
        return self.proj((attn.softmax(-1) @ v).transpose(1, 2).reshape(b, n, c))


class LeViTNorm(nn.Module):
    """LeViT: BatchNorm1d over batch × tokens (flattened first)."""

    def __init__(self, dim=16):
        super().__init__()
        self.linear, self.bn = nn.Linear(dim, dim, bias=False), nn.BatchNorm1d(dim)

    def forward(self, x):
        return self.bn(self.linear(x).flatten(0, 1)).reshape_as(x)


def _row(name, build, shape, dtype="float32"):
    from layerloom.graph import summarize
    from layerloom.graph.import_torch import check_import, import_torch

    model = build().eval()
    started = time.perf_counter()
    try:
        fx.symbolic_trace(model) if not hasattr(model, "run") else None
        baseline = max(time.perf_counter() - started, 1e-4)
    except Exception:  # noqa: BLE001 - plain fx cannot trace it (einops' layers): no ratio
        baseline = None
    started = time.perf_counter()
    try:
        graph, weights = import_torch(model, shape, dtype)
        state = weights.apply(model.state_dict())
        diff = check_import(model, graph, state, shape, dtype, weights=weights)
    except Exception as exc:  # noqa: BLE001 - the blocker is the figure
        return [name, "no", str(exc).splitlines()[0][:90], "", "", "", "", ""]
    seconds = time.perf_counter() - started
    same = summarize(graph).params == sum(p.numel() for p in model.parameters())
    blocks = sum(n.type not in ("Input", "Output") for n in graph.nodes)
    return [name, "yes", "", str(blocks), "yes" if same else "NO", f"{diff:.1e}",
            f"{seconds / baseline:.1f}" if baseline else "- (no fx trace)",
            _other_size(model, graph, state, shape, dtype)]


def _other_size(model, graph, state, shape, dtype="float32") -> str:
    """Whether the imported graph, traced at ``shape``, runs an image 1.5 times as large (or a
    sequence 1.5 times as long) with the model's own outputs there (sizes kept symbolic:
    ChannelShuffle, Flatten, Unflatten, no baked Reshape); '-' for vectors and token ids,
    'model fixed' where the model itself only takes its size."""
    from layerloom.graph import compile_graph

    if len(shape) == 3:
        tries = [(shape[0], shape[1] * 3 // 2, shape[2] * 3 // 2)]
    elif len(shape) == 2 and dtype == "float32":  # [L, F] steps, else [C, L] (a Conv1d's)
        tries = [(shape[0] * 3 // 2, shape[1]), (shape[0], shape[1] * 3 // 2)]
    else:
        return "-"
    tries = [t for t in tries if t != tuple(shape)]  # one channel: (1, L) is (1 * 3 // 2, L)
    for bigger in tries:
        x = torch.randn(2, *bigger)
        try:
            with torch.no_grad():
                expected = model(x)
            break
        except Exception:  # noqa: BLE001 - a position table of one size, a fixed Linear
            continue
    else:
        return "model fixed"
    other = graph.copy()
    next(n for n in other.nodes if n.type == "Input").params["shape"] = list(bigger)
    try:
        compiled = compile_graph(other).eval()
        compiled.load_state_dict(state, strict=True)
        with torch.no_grad():
            got = compiled(x)
    except Exception as exc:  # noqa: BLE001 - a baked Reshape: the figure
        return f"no ({str(exc).splitlines()[-1][:40]})"
    pairs = list(zip(got, expected)) if isinstance(expected, tuple) else [(got, expected)]
    close = all(g.shape == e.shape and torch.allclose(g, e, atol=1e-4, rtol=1e-4)
                for g, e in pairs)  # each output (DETR's classes and boxes)
    if not close:
        return "no (outputs differ)"
    if len(bigger) == 3:
        return f"yes ({bigger[1]}x{bigger[2]})"
    return f"yes ({max(b for b, s in zip(bigger, shape) if b != s)} steps)"


def _onnx_rows(folder: Path, opsets: list[int]):
    from layerloom.graph import compile_graph, summarize
    from layerloom.graph.export import export_model
    from layerloom.graph.export import onnx as onnx_format
    from layerloom.graph.import_torch.onnx_in import import_onnx
    from layerloom.graph.templates import load_template, template_names

    rows = []
    for opset in opsets:
        onnx_format.OPSET = opset
        for name in template_names():
            label = f"onnx{opset}:{name}"
            path = folder / f"{name}-{opset}.onnx"
            template = load_template(name)
            torch.manual_seed(0)
            model = compile_graph(template).eval()
            with torch.no_grad():  # no bias or norm left at 0/1 (matrices keep their init)
                for p in model.parameters():
                    if p.dim() == 1:
                        p.add_(torch.randn_like(p) * 0.1)
            started = time.perf_counter()
            try:
                export_model(template, "onnx", path, model.state_dict())
            except Exception as exc:  # noqa: BLE001 - attention needs opset 14
                rows.append([label, "-", f"does not export: {str(exc).splitlines()[0][:70]}",
                             "", "", "", "", ""])
                continue
            baseline = time.perf_counter() - started  # the export itself
            started = time.perf_counter()
            try:
                graph, _, diff = import_onnx(path)
            except Exception as exc:  # noqa: BLE001
                rows.append([label, "no", str(exc).splitlines()[0][:90], "", "", "", "", ""])
                continue
            seconds = time.perf_counter() - started
            blocks = sum(n.type not in ("Input", "Output") for n in graph.nodes)
            same = "yes" if summarize(graph).params == summarize(template).params else "NO"
            if same == "NO" and not any("BatchNorm" in n.type for n in graph.nodes) and \
                    any("BatchNorm" in n.type for n in summarize(template).nodes):
                same = "BN folded"  # the exporter folds eval-mode BatchNorm into the Conv
            rows.append([label, "yes", "", str(blocks), same, f"{diff:.1e}",
                         f"{seconds / baseline:.1f}", "-"])
    onnx_format.OPSET = 17
    return rows


def _onnx_file_rows(folder: Path, cases) -> list[list[str]]:
    """Users' models through an ONNX file of theirs that leaves the image's height and width
    free (``dynamic_axes``): whether it imports, and whether the design, its variables set to a
    height and width that differ (24x40), gives the model's outputs there. The baseline is the
    export itself."""
    import warnings

    from layerloom.graph import compile_graph, summarize
    from layerloom.graph.import_torch.onnx_in import import_onnx

    rows = []
    for label, build in cases:
        model, path = build().eval(), folder / "users.onnx"
        started = time.perf_counter()
        torch.onnx.export(model, (torch.randn(2, 3, 32, 32),), str(path), dynamo=False,
                          input_names=["image"], output_names=["y"],
                          dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"}})
        baseline = time.perf_counter() - started
        started = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                graph, state, diff = import_onnx(path)
        except Exception as exc:  # noqa: BLE001 - the blocker is the figure
            rows.append([label, "no", str(exc).splitlines()[0][:90], "", "", "", "", ""])
            continue
        seconds = time.perf_counter() - started
        other = graph.copy()
        other.variables.update(height=24, width=40)
        x = torch.randn(2, 3, 24, 40)
        try:
            compiled = compile_graph(other).eval()
            compiled.load_state_dict(state, strict=True)
            with torch.no_grad():
                close = torch.allclose(compiled(x), model(x), atol=1e-4, rtol=1e-4)
            sized = "yes (24x40)" if close else "no (outputs differ)"
        except Exception as exc:  # noqa: BLE001 - a size held: the figure
            sized = f"no ({str(exc).splitlines()[-1][:40]})"
        same = summarize(graph).params == sum(p.numel() for p in model.parameters())
        blocks = sum(n.type not in ("Input", "Output") for n in graph.nodes)
        rows.append([label, "yes", "", str(blocks), "yes" if same else "NO", f"{diff:.1e}",
                     f"{seconds / baseline:.1f}", sized])
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-onnx", action="store_true", help="skip the templates via ONNX")
    parser.add_argument("--opsets", default="17",
                        help="ONNX opsets to export the templates at, comma-separated "
                             "(default 17, the export's own; 13,17,20 for the range)")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    families = _load("test_import_families")
    basics = _load("test_import_torch")
    cases = [(name, cls, (3, 16, 16)) for name, (cls, _) in sorted(families.FAMILIES.items())]
    distilled = _load("test_import_deit_levit")  # DeiT's distillation token, LeViT's norms
    cases += [(name, cls, (3, 16, 16)) for name, (cls, _) in sorted(distilled.FAMILIES.items())]
    swin = _load("test_import_swin")  # torchvision's Swin V1: window attention, patch merging
    normalize = _load("test_import_normalize")  # the patterns of users' own models
    clamp = _load("test_import_clamp")
    attention = _load("test_import_attention")
    reductions = _load("test_import_reductions")
    positions = _load("test_import_positions_arange")
    upsample = _load("test_import_upsample_align_corners")
    indexing = _load("test_import_indexing")
    differences = _load("test_import_subtract_divide")
    norms = _load("test_import_layernorm_dims")
    deeplab = _load("test_import_deeplab")
    glu = _load("test_import_glu")
    perceiver = _load("test_import_perceiver")
    images = _load("test_import_users_images")  # users' own models, in their authors' style
    sequences = _load("test_import_users_sequences")
    detr = _load("test_import_detr_decoder")  # learned queries, cross-attention to the memory
    rotary = _load("test_import_rotary")  # RoPE: the RotaryEmbedding block
    windows = _load("test_import_swin_windows")
    merged = _load("test_import_merged_heads")  # perceiver-pytorch's '(b h) n d' heads
    both = _load("test_import_recurrent_both_outputs")  # outputs and final state of one LSTM
    repeated = _load("test_import_repeat_to")  # Bahdanau's state repeated over the steps
    stacked = _load("test_import_stacked_sum")  # WaveNet's torch.stack(skips).sum(0)
    exps = _load("test_import_exp")  # GRU-D's decay exp(-relu(.))
    subtracted = _load("test_import_subtracted_scores")  # scores - (1 - mask) * 1e9
    labels = _load("test_import_label_input")  # a cGAN's class label [B]: an Input of []
    seq_first = _load("test_import_sequence_first")  # batch_first=False on [S, B, E]
    detr_original = _load("test_import_detr_transformer")  # DETR's models/transformer.py
    seq_rnn = _load("test_import_sequence_first_rnn")  # LSTM(batch_first=False) on [S, B, E]
    encoder_masks = _load("test_import_encoder_masks")  # the tutorial's causal mask, src.t()
    seq_pooling = _load("test_import_sequence_first_pooling")  # out.max(0)[0], text.t()
    word_lm = _load("test_import_word_language_model")  # log_softmax over the vocabulary
    whole_pools = _load("test_import_pool_whole_dims")  # FastText's avg_pool2d over the steps
    one_sample = _load("test_import_batch_of_one")  # the DETR demo as its Colab writes it
    causal = _load("test_import_causal_attention")  # attn_mask / tgt_mask causal: is_causal
    more = _load("test_import_more_families")  # RegNetY, MobileNetV3, M5, Conformer, WaveNet
    loops = _load("test_import_step_loops")  # loops over the steps: refused, saying so
    states = _load("test_import_seq2seq_states")  # a decoder started from the encoder's state
    cases += [("torchvision-resnet (basic blocks)", basics.TinyResNet, (3, 16, 16)),
              ("torchvision-swin (V1)", swin.swin_tiny, (3, 16, 16)),
              ("text transformer (nn.TransformerEncoder)", basics.TextClassifier, (16,)),
              ("input normalisation ((x - mean) / std, buffers)", normalize.BufferNet,
               (3, 16, 16)),
              ("clamps (clamp(-1, 1), F.hardtanh, nn.Hardtanh)", clamp.Bounded, (6,)),
              ("attention, hand-written (chunk, view, @, softmax)", attention.Attention, (16, 16)),
              ("attention, nanoGPT (F.scaled_dot_product_attention)",
               attention.CausalSelfAttention, (16, 16)),
              ("reductions, CBAM (mean/max over channels, amax)", reductions.CBAMNet,
               (3, 16, 16)),
              ("reductions, attention pooling ((w * h).sum(1))", reductions.AttentionPool,
               (10, 6)),
              ("text: minGPT positions (pos_emb(torch.arange(t)))", positions.MinGPT, (16,)),
              ("u-net, bilinear (Upsample align_corners=True)", upsample.UNet, (3, 16, 16)),
              ("yolov5 focus (x[..., ::2, ::2]: Slice with step)", indexing.Focus,
               (3, 16, 16)),
              ("googlenet transform_input (x[:, 0] per channel)", indexing.GoogLeNetInput,
               (3, 16, 16)),
              ("tcn last step (y[:, :, -1])", indexing.TemporalConvNet, (4, 20)),
              ("centring (x - x.mean(1, keepdim=True): Subtract)", differences.Centred,
               (3, 16, 16)),
              ("layer norm over [C, H, W] (dims=3)", norms.LN3d, (3, 8, 8)),
              ("deeplabv3 (ASPP pooling, F.interpolate to a size: ResizeTo)",
               deeplab.DeepLabV3, (3, 32, 32)),
              ("tft gated residual network (F.glu)", glu.GatedResidualNetwork, (10, 8)),
              ("conformer convolution module (nn.GLU(dim=1))", glu.ConformerConvModule,
               (10, 8)),
              ("perceiver latents (LearnedTokens), cross-attention", perceiver.Perceiver,
               (20, 6)),
              ("window attention, hand-written", WindowAttention, (16, 16)),
              ("levit batch-norm over tokens", LeViTNorm, (8, 16)),
              ("u-net, transposed convolutions (milesial, F.pad to the skip)", images.UNet,
               (3, 16, 16)),
              ("mobilenetv3 block (hard-swish, SE with hardsigmoid)", images.MobileNetV3Block,
               (3, 16, 16)),
              ("convnext, official (its own channels_first LayerNorm)",
               images.ConvNeXtOfficial, (3, 16, 16)),
              ("vae encoder (mu and log-variance)", images.VAEEncoder, (3, 16, 16)),
              ("text: gru tagger (Embedding, bidirectional GRU)", sequences.GRUTagger, (12,)),
              ("tcn, locuslab (weight_norm, Chomp1d, dilations)", sequences.TemporalConvNet,
               (4, 20)),
              ("pointnet classifier (max over the points)", sequences.PointNetCls, (3, 32)),
              ("vit, lucidrains (einops patches, class token)", sequences.ViT, (3, 16, 16)),
              ("detr decoder (queries repeated over the batch, cross-attention)",
               detr.DETR, (3, 16, 16)),
              ("detr with torch's nn.TransformerDecoder (traced through its layers)",
               detr.TorchDecoderDETR, (3, 16, 16)),
              ("rotary position embeddings (RoPE: RotaryEmbedding)", rotary.RotaryAttention,
               (12, 16)),
              ("swin, original window_partition by hand (no block)", windows.SwinBlock,
               (3, 32, 32)),
              ("perceiver, lucidrains (heads merged into the batch: '(b h) n d')",
               merged.Perceiver, (20, 6)),
              ("text: lstm attention over its outputs with its final state",
               both.AttentionModel, (10,)),
              ("text: seq2seq, bahdanau (state repeated over the steps: RepeatTo)",
               repeated.Seq2SeqEncoder, (10,)),
              ("wavenet (torch.stack(skips).sum(dim=0))", stacked.WaveNet, (1, 32)),
              ("gru-d input decay (torch.exp(-relu(.)): Exp)", exps.GRUD, (10, 12)),
              ("text: padding mask subtracted (scores - (1 - mask) * 1e9)",
               subtracted.PaddedClassifier, (8,)),
              ("causal mask subtracted (scores - 1e4 * (1 - tril))",
               subtracted.CausalSubtracted, (8, 16)),
              ("cgan generator (class label [B] into nn.Embedding)", labels.Generator,
               [(labels.LATENT,), ()], ["float32", "int64"]),
              ("cgan discriminator (class label [B] into nn.Embedding)", labels.Discriminator,
               [labels.IMG_SHAPE, ()], ["float32", "int64"]),
              ("detr demo, sequence-first nn.Transformer ([S, B, E] permutes)",
               seq_first.DETRdemo, (3, 16, 16)),
              ("attention, sequence-first nn.MultiheadAttention between permutes",
               seq_first.PermutedAttention, (6, 16)),
              ("sequence-first nn.TransformerEncoder, last step (out[-1])",
               seq_first.LastStep, (6, 16)),
              ("detr, original transformer.py (its own sequence-first layers)",
               detr_original.DETR, (3, 16, 16)),
              ("text: sequence-first nn.LSTM (permute(1, 0, 2), output[-1])",
               seq_rnn.TutorialLSTM, (7,)),
              ("text: sequence-first nn.GRU (transpose(0, 1), h_n[-1])",
               seq_rnn.LastStateGRU, (7,)),
              ("sequence-first nn.RNN, every step (transposed back)", seq_rnn.EveryStepRNN,
               (7, 6)),
              ("text: pytorch's transformer tutorial (sequence-first, causal mask, src.t())",
               encoder_masks.TransformerModel, (12,)),
              ("text: the tutorial's 2019 model (its mask kept in self.src_mask, len(src))",
               encoder_masks.TransformerModel2019, (12,)),
              ("text: sequence-first bilstm max-pooled (out.max(0)[0])",
               lambda: seq_pooling.Classifier("max tuple"), (10,)),
              ("text: concat pooling (out[-1], out.max(0)[0], out.mean(0))",
               lambda: seq_pooling.Classifier("concat"), (10,)),
              ("text: sequence-first gru on text.t() (torch.max(out, 0)[0])",
               lambda: seq_pooling.Classifier("torch.max", ids="t", rnn=nn.GRU), (10,)),
              ("text: rcnn (a sequence-first lstm's output joined with its input)",
               seq_pooling.RCNN, (10,)),
              ("text: pytorch's word language model (lstm, log_softmax, given back)",
               word_lm.RNNModel, (12,)),
              ("text: fasttext, bentrevett (F.avg_pool2d over the steps)", whole_pools.FastText,
               (12,)),
              ("detr demo as its colab writes it (one image; row and column tables)",
               one_sample.DETRdemo, (3, 32, 32)),
              ("text: attention given generate_square_subsequent_mask (is_causal)",
               causal.CausalAttention, (10,)),
              ("text: pytorch's translation tutorial (nn.Transformer, causal tgt_mask)",
               causal.Seq2SeqTransformer, [(8,), (6,)], ["int64", "int64"]),
              ("decoder given tgt_mask, tgt_is_causal=True (memory of features)",
               causal.Decoder, [(7,), (5, 8)], ["int64", "float32"])]
    cases += [(name, build, shape) for name, (build, shape) in more.IMPORTED.items()]
    cases += [("vae sampling in evaluation too (torch.randn_like: refused)",
               lambda: more.ConvVAE(sample_in_eval=True), (3, 16, 16)),
              ("tabnet-style attentive transformer (prior of ones_like, shared layers)",
               more.TabNetLite, (10,)),
              ("detr PositionEmbeddingLearned (row/col nn.Embedding of arange, repeated)",
               more.DETRLearnedPos, (3, 16, 16)),
              ("text: seq2seq gru, bentrevett (teacher forcing, a loop over the steps)",
               loops.BatchFirstSeq2Seq, [(7,), (6,)], ["int64", "int64"]),
              ("mamba-style selective scan (a loop over the length)", loops.SelectiveScan,
               (12, 8)),
              ("text: seq2seq gru, decoder started from the encoder's state (h_0)",
               states.Seq2Seq, [(7,), (6,)], ["int64", "int64"]),
              ("text: seq2seq lstm, cho (the encoder's state beside every step: RepeatTo)",
               lambda: states.Seq2Seq(nn.LSTM, context=True), [(7,), (6,)],
               ["int64", "int64"]),
              ("text: word language model's decoded.view(-1, ntoken) (steps as rows)",
               lambda: word_lm.RNNModel(rows=True), (12,))]
    rows = []
    for name, build, shape, *dtypes in cases:  # dtypes: one per input, of several inputs
        dtype = dtypes[0] if dtypes else "int64" if name.startswith("text") else "float32"
        rows.append(_row(name, build, shape, dtype))
    if not args.no_onnx:
        heights = _load("test_import_onnx_height_width")  # users' files, height and width free
        convnext = _load("test_import_onnx_convnext")
        with tempfile.TemporaryDirectory() as folder:
            rows += _onnx_file_rows(Path(folder), [
                ("onnx, free height and width: segformer stage (tokens back to a map)",
                 heights.MixStage),
                ("onnx, free height and width: convnext, official (its LayerNorm written out)",
                 convnext.ConvNeXt)])
            rows += _onnx_rows(Path(folder), [int(o) for o in args.opsets.split(",")])
    head = ["architecture", "imports", "first blocker", "blocks", "params equal", "max diff",
            "time / baseline", "other size"]
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
    tried = [r for r in rows if r[1] != "-"]
    done = sum(r[1] == "yes" for r in tried)
    print(f"\nimported {done} of {len(tried)} ({done / len(tried):.0%}); baseline: one torch.fx "
          f"trace of the same model (torch side), the ONNX export of the template (ONNX side)")
    sized = [r for r in rows if r[7] not in ("", "-")]
    print(f"runs at another input size (images traced at 16x16 run at 24x24, sequences 1.5 "
          f"times as long): {sum(r[7].startswith('yes') for r in sized)} of {len(sized)} imported "
          f"models ({sum(r[7] == 'model fixed' for r in sized)} take only their own size "
          f"themselves)")
    for opset in [] if args.no_onnx else args.opsets.split(","):
        mine = [r for r in rows if r[0].startswith(f"onnx{opset}:")]
        back = sum(r[1] == "yes" for r in mine)
        exported = sum(r[1] != "-" for r in mine)
        print(f"templates through ONNX at opset {opset}: {back} of {len(mine)} import back with "
              f"the same outputs ({exported} export at that opset); params equal in "
              f"{sum(r[4] == 'yes' for r in mine)}, the rest lose BatchNorm to the exporter's "
              f"folding" if back else f"templates through ONNX at opset {opset}: none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
