"""The discrepancies the book found, recomputed for the errata appendix.

Each chapter that checks a paper's table or a tutorial's figure shows the
arithmetic where it teaches it; the errata appendix (``book/<lang>/errata``)
gathers those findings on one page. This module holds, for each finding, the
figure as the paper or the tutorial prints it (copied once, here, with its
source) and a function that recomputes the right figure with the formulas of
``book.lib.costs``, the same ones that ``costs.layer_costs`` applies to the
chapters' networks. ``tests/test_errata.py`` checks that the chapters type the
same printed figures as this module and that the formulas agree with the
networks the chapters build.

To add an erratum: add its printed figure and a function that returns a dict of
the figures the page needs (plain numbers, no formatting); then a section in
both errata notebooks that calls it, asserts the discrepancy and glues the
figures; and a test in ``tests/test_errata.py``.

Every function is pure arithmetic (no Keras), except :func:`resnet50_macs`.
"""

from __future__ import annotations

from book.lib import costs

# --- AlexNet (Krizhevsky et al., 2012; chapter lenet_alexnet) -------------------------

#: Section 3.5: "an 11x11x3 kernel with a stride of 4 pixels" on 224x224x3 images.
ALEXNET_PAPER_SIDE = 224
ALEXNET_CONV1 = {"kernel": 11, "stride": 4, "filters": 96}
#: Section 3.5's neurons per layer, conv1 to fc8, as printed.
ALEXNET_PAPER_NEURONS = (253_440, 186_624, 64_896, 64_896, 43_264, 4096, 4096, 1000)


def alexnet_input_side() -> dict:
    """conv1's output side on the paper's 224 pixels and on the 227 that work.

    Returns:
        ``exact_224`` (the unrounded side, ``(224 - 11) / 4 + 1``), ``keras_224``
        (what a valid convolution gives, floored), ``side_227`` and the
        ``paper_side``, ``kernel`` and ``stride`` used.
    """
    kernel, stride = ALEXNET_CONV1["kernel"], ALEXNET_CONV1["stride"]
    return {
        "paper_side": ALEXNET_PAPER_SIDE, "kernel": kernel, "stride": stride,
        "exact_224": (ALEXNET_PAPER_SIDE - kernel) / stride + 1,
        "keras_224": costs.conv_output_size(ALEXNET_PAPER_SIDE, kernel, stride),
        "side_227": costs.conv_output_size(227, kernel, stride),
    }


def alexnet_conv1_neurons() -> dict:
    """The neurons of conv1 (its output elements) against section 3.5's figure."""
    side = alexnet_input_side()["side_227"]
    filters = ALEXNET_CONV1["filters"]
    return {"side": side, "filters": filters, "neurons": side * side * filters,
            "paper": ALEXNET_PAPER_NEURONS[0]}


def alexnet_params() -> int:
    """AlexNet's parameters with biases (figure 2, two-GPU split as groups=2)."""
    convs = ((11, 3, 96, 1), (5, 96, 256, 2), (3, 256, 384, 1), (3, 384, 384, 2),
             (3, 384, 256, 2))
    denses = ((6 * 6 * 256, 4096), (4096, 4096), (4096, 1000))
    return (sum(costs.conv2d_params(k, k, c_in, c_out, groups=g)
                for k, c_in, c_out, g in convs)
            + sum(costs.dense_params(c_in, c_out) for c_in, c_out in denses))


# --- GoogLeNet (Szegedy et al., 2015; chapter inception) --------------------------------

#: Table 1: the filters of each Inception module, in the table's column order
#: (#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj).
GOOGLENET_MODULES = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}
#: Table 1, columns "params" (K) and "ops" (M), as printed.
GOOGLENET_PAPER_TABLE1 = {
    "conv1": (2.7, 34),
    "conv2": (112, 360),
    "inception_3a": (159, 128),
    "inception_3b": (380, 304),
    "inception_4a": (364, 73),
    "inception_4b": (437, 88),
    "inception_4c": (463, 100),
    "inception_4d": (580, 119),
    "inception_4e": (840, 170),
    "inception_5a": (1072, 54),
    "inception_5b": (1388, 71),
    "loss3": (1000, 1),
}
#: Section 1: "a computational budget of 1.5 billion multiply-adds".
GOOGLENET_PAPER_MULTIPLY_ADDS = 1.5e9
#: Section 1: "12 times fewer parameters than the winning architecture of [AlexNet]".
GOOGLENET_PAPER_FEWER_THAN_ALEXNET = 12
#: The table reads K as 1024 and M as 10^6 (the inception chapter shows why).
TABLE1_K = 1024
TABLE1_M = 10**6


def _module_convs(c_in: int, filters: tuple) -> list[tuple[int, int, int]]:
    """(kernel, c_in, c_out) of the six convolutions of one Inception module."""
    n1, n3r, n3, n5r, n5, pool_proj = filters
    return [(1, c_in, n1), (1, c_in, n3r), (3, n3r, n3), (1, c_in, n5r), (5, n5r, n5),
            (1, c_in, pool_proj)]


def googlenet_rows(use_bias: bool = False) -> dict[str, dict]:
    """Each row of table 1: its convolutions, weights, output positions and MACs.

    Args:
        use_bias: count the biases too (the paper does not; Keras does).

    Returns:
        ``{row: {"layers": [(kernel, c_in, c_out), ...], "weights", "positions",
        "macs"}}`` in the table's order; ``loss3`` is the 1024 -> 1000 linear layer.
    """
    rows = {"conv1": ([(7, 3, 64)], 112), "conv2": ([(1, 64, 64), (3, 64, 192)], 56)}
    c_in, side = 192, 28
    for module, filters in GOOGLENET_MODULES.items():
        if module in ("4a", "5a"):
            side //= 2  # The 3x3/2 max pooling between stages: 28 -> 14 -> 7.
        rows[f"inception_{module}"] = (_module_convs(c_in, filters), side)
        n1, _, n3, _, n5, pool_proj = filters
        c_in = n1 + n3 + n5 + pool_proj
    table = {}
    for row, (convs, side) in rows.items():
        weights = sum(costs.conv2d_params(k, k, i, o, use_bias=use_bias) for k, i, o in convs)
        macs = sum(costs.conv2d_macs(side, side, k, k, i, o) for k, i, o in convs)
        table[row] = {"layers": convs, "weights": weights, "positions": side * side,
                      "macs": macs}
    table["loss3"] = {"layers": [(1, c_in, 1000)],
                      "weights": costs.dense_params(c_in, 1000, use_bias=use_bias),
                      "positions": 1, "macs": costs.dense_macs(c_in, 1000)}
    return table


def googlenet_table1(tolerance: float = 0.03) -> dict[str, dict]:
    """The rows of table 1 that disagree with the filters the table lists.

    A row agrees when our figure is within ``tolerance`` of the printed one; it
    is consistent with itself when its ops are its params times our output
    positions (within ``tolerance``).

    Returns:
        ``{row: {...googlenet_rows' fields, "paper_k", "paper_m", "ours_k",
        "ours_m", "params_agree", "ops_agree", "consistent"}}`` for every row.
    """
    out = {}
    for row, ours in googlenet_rows().items():
        paper_k, paper_m = GOOGLENET_PAPER_TABLE1[row]
        ours_k, ours_m = ours["weights"] / TABLE1_K, ours["macs"] / TABLE1_M
        paper_positions = paper_m * TABLE1_M / (paper_k * TABLE1_K)
        out[row] = {**ours, "paper_k": paper_k, "paper_m": paper_m, "ours_k": ours_k,
                    "ours_m": ours_m,
                    "params_agree": abs(ours_k / paper_k - 1) <= tolerance,
                    "ops_agree": abs(ours_m / paper_m - 1) <= tolerance,
                    "consistent": abs(paper_positions / ours["positions"] - 1) <= tolerance}
    return out


def googlenet_separable_stem() -> dict:
    """Chollet (2017)'s reading of conv1: 7x7 depthwise (x8) then 1x1 to 64 channels."""
    params = costs.separable_conv2d_params(7, 7, 3, 64, depth_multiplier=8, use_bias=False)
    macs = costs.separable_conv2d_macs(112, 112, 7, 7, 3, 64, depth_multiplier=8)
    return {"params": params, "macs": macs}


def googlenet_totals() -> dict:
    """Whole-network figures: MACs against the budget, parameters against AlexNet's."""
    rows = googlenet_rows()
    macs = sum(row["macs"] for row in rows.values())
    params = sum(row["weights"] for row in googlenet_rows(use_bias=True).values())
    stem = googlenet_separable_stem()
    return {"macs": macs, "budget": GOOGLENET_PAPER_MULTIPLY_ADDS,
            "macs_with_separable_stem": macs - rows["conv1"]["macs"] + stem["macs"],
            "params": params, "alexnet_params": alexnet_params(),
            "fewer_than_alexnet": alexnet_params() / params,
            "paper_fewer_than_alexnet": GOOGLENET_PAPER_FEWER_THAN_ALEXNET}


# --- The 1x1 bottleneck (chapter inception) -----------------------------------------------

#: Module 3a's input and its 3x3 and 5x5 branches, with and without the 1x1 reductions.
BOTTLENECK_INPUT = (28, 28, 192)
#: The figure that tutorials give for the bottleneck design ("112 million").
BOTTLENECK_TUTORIAL_MACS = 112e6


def bottleneck_macs() -> dict:
    """MACs of the 3x3 (128) and 5x5 (32) convolutions on 28x28x192, direct and reduced."""
    side, _, c_in = BOTTLENECK_INPUT
    direct = {"3x3": costs.conv2d_macs(side, side, 3, 3, c_in, 128),
              "5x5": costs.conv2d_macs(side, side, 5, 5, c_in, 32)}
    reduced = {"1x1_96": costs.conv2d_macs(side, side, 1, 1, c_in, 96),
               "3x3": costs.conv2d_macs(side, side, 3, 3, 96, 128),
               "1x1_16": costs.conv2d_macs(side, side, 1, 1, c_in, 16),
               "5x5": costs.conv2d_macs(side, side, 5, 5, 16, 32)}
    return {"direct": direct, "reduced": reduced, "direct_total": sum(direct.values()),
            "reduced_total": sum(reduced.values()), "tutorial": BOTTLENECK_TUTORIAL_MACS}


# --- VGG (Simonyan and Zisserman, 2015; chapter vgg) ------------------------------------------

#: VGG19's third block: four 3x3 convolutions of 256 filters on 56x56, then 2x2 pooling.
VGG19_BLOCK3 = {"input_side": 56, "filters": 256, "convs": 4}


def vgg19_block3_output() -> tuple[int, int, int]:
    """The shape after VGG19's third block (its pooling included)."""
    side = VGG19_BLOCK3["input_side"]
    for _ in range(VGG19_BLOCK3["convs"]):
        side = costs.conv_output_size(side, 3, 1, padding="same")
    side = costs.pool_output_size(side, 2)
    return (side, side, VGG19_BLOCK3["filters"])


# --- ResNet (He et al., 2016; chapter resnet) ----------------------------------------------

#: Table 1, last row: "FLOPs" (multiply-adds) x 10^9, with one decimal.
RESNET_PAPER_GFLOPS = {18: 1.8, 34: 3.6, 50: 3.8, 101: 7.6, 152: 11.3}


def resnet50_macs() -> int:
    """ResNet-50's MACs per 224x224 image, counted by ``costs.layer_costs``.

    keras.applications.ResNet50 is the network of table 1 with projection
    shortcuts (option B), as the resnet chapter checks layer by layer.
    """
    import keras

    model = keras.applications.ResNet50(weights=None)
    macs = int(costs.layer_costs(model)["macs"].sum())
    del model
    keras.backend.clear_session()
    return macs
