"""book.lib.errata: the printed figures are the chapters' own, and the formulas agree
with the networks the chapters build (so the errata page and the chapters say the same)."""

import ast
import json
import re
from pathlib import Path

import keras
import pytest

from book.lib import blocks, costs, errata

ROOT = Path(__file__).resolve().parents[1]


def typed_constant(chapter: str, lang: str, name: str):
    """The literal that a chapter's code assigns to ``name`` (e.g. a paper's table)."""
    cells = json.loads((ROOT / "book" / lang / f"{chapter}.ipynb").read_text())["cells"]
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if not re.search(rf"^{name} = ", source, flags=re.M):
            continue
        for node in ast.parse(source).body:
            if isinstance(node, ast.Assign) and any(
                    getattr(t, "id", None) == name for t in node.targets):
                return ast.literal_eval(node.value)
    raise AssertionError(f"book/{lang}/{chapter}.ipynb assigns no {name}")


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.parametrize("chapter, name, ours", [
    ("inception", "PAPER_TABLE1", errata.GOOGLENET_PAPER_TABLE1),
    ("inception", "GOOGLENET_MODULES", errata.GOOGLENET_MODULES),
    ("lenet_alexnet", "PAPER_NEURONS", errata.ALEXNET_PAPER_NEURONS),
    ("resnet", "PAPER_GFLOPS", errata.RESNET_PAPER_GFLOPS),
])
def test_the_chapters_type_the_same_printed_figures(lang, chapter, name, ours):
    assert typed_constant(chapter, lang, name) == ours


def test_googlenet_rows_agree_with_the_modules_built_by_blocks():
    rows = errata.googlenet_rows(use_bias=True)
    c_in, side = 192, 28
    for module, filters in errata.GOOGLENET_MODULES.items():
        if module in ("4a", "5a"):
            side //= 2
        inputs = keras.Input(shape=(side, side, c_in))
        model = keras.Model(inputs, blocks.inception_module(inputs, *filters,
                                                            name=f"inception_{module}"))
        table = costs.layer_costs(model)
        row = rows[f"inception_{module}"]
        assert (row["weights"], row["macs"]) == (model.count_params(), table["macs"].sum())
        c_in = model.output.shape[-1]
    assert rows["loss3"]["layers"] == [(1, 1024, 1000)]


def test_googlenet_table1_finds_the_chapters_rows():
    table1 = errata.googlenet_table1()
    assert [r for r, f in table1.items() if not f["params_agree"]] == [
        "conv1", "inception_4c", "inception_5a"]
    assert [r for r, f in table1.items() if not f["ops_agree"]] == ["conv1", "inception_5a"]
    assert [r for r, f in table1.items() if not f["consistent"]] == ["inception_4c"]


def test_the_separable_stem_is_keras_separable_conv2d():
    inputs = keras.Input(shape=(224, 224, 3))
    layer = keras.layers.SeparableConv2D(64, 7, strides=2, depth_multiplier=8,
                                         use_bias=False, padding="same")
    row = costs.layer_costs(keras.Model(inputs, layer(inputs))).iloc[-1]
    stem = errata.googlenet_separable_stem()
    assert (stem["params"], stem["macs"]) == (row["params"], row["macs"]) == (2712, 34_019_328)


def test_bottleneck_and_alexnet_figures():
    bottleneck = errata.bottleneck_macs()
    assert bottleneck["reduced_total"] == 113_598_464
    assert bottleneck["direct"]["5x5"] == 120_422_400
    assert errata.alexnet_conv1_neurons()["neurons"] == 290_400
    assert errata.alexnet_params() == 60_965_224
    assert errata.alexnet_input_side()["keras_224"] == 54
    assert errata.vgg19_block3_output() == (28, 28, 256)
