"""Notebook 06: EfficientNet's compound scaling (Tan & Le 2019, Sec. 3.3) applied to a mini and measured."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from nbcells import SETUP, TRAIN_HELPER, code, intro, md  # noqa: E402

RULE = '''\
from convnets.models.efficientnet import EFFICIENTNET_MINI, SCALING, EfficientNet

# Eq. 3: depth d = alpha^phi, width w = beta^phi, resolution r = gamma^phi, with alpha * beta^2 * gamma^2 ~ 2,
# so each step of phi about doubles the multiply-adds. Sec. 3.3's grid search found alpha=1.2, beta=1.1, gamma=1.15.
alpha, beta, gamma = 1.2, 1.1, 1.15
print(f"alpha * beta^2 * gamma^2 = {alpha * beta ** 2 * gamma ** 2:.3f}")
print(pd.DataFrame([{"model": f"efficientnet_{p}", "width": w, "depth": d, "resolution": r,
                     "phi (from depth)": round(np.log(d) / np.log(alpha), 2) if d > 1 else 0.0}
                    for p, (w, d, r, _) in SCALING.items()]).to_string(index=False))'''

BUILD = '''\
from dataclasses import replace

BASE = replace(EFFICIENTNET_MINI, width=0.5, depth=0.5, dropout=0.1, one_block_per_stage=False)
BASE_SIZE = 20  # the base resolution, in pixels: Fashion-MNIST's 28x28 images are resized to it

def scaled(width=1.0, depth=1.0, resolution=1.0, name="b"):
    """The base network scaled along each axis by the given factors (round_filters / round_repeats inside)."""
    config = replace(BASE, width=BASE.width * width, depth=BASE.depth * depth)
    size = int(round(BASE_SIZE * resolution))
    model = EfficientNet(config, num_classes=10, input_shape=(size, size, 1), name=name)
    model.config = {"name": name}  # what a run directory records (create_model sets it for registered models)
    return model

# One doubling of the budget (phi = 1) spent four ways: all on depth, all on width, all on resolution, or compounded.
CANDIDATES = {
    "base (phi = 0)": dict(),
    "depth x2": dict(depth=2.0),
    "width x1.41": dict(width=2 ** 0.5),
    "resolution x1.41": dict(resolution=2 ** 0.5),
    "compound (phi = 1)": dict(depth=alpha, width=beta, resolution=gamma),
}
rows = []
for label, factors in CANDIDATES.items():
    with convnets.layers.init.zeros_only():
        m = scaled(**factors)
    s = convnets.summarize(m)
    rows.append({"network": label, "input": "x".join(map(str, m.input_shape)), "blocks": len(m.blocks),
                 "params": s["trainable_params"], "MACs (M)": round(s["macs"] / 1e6, 2)})
costs = pd.DataFrame(rows)
costs["MACs / base"] = (costs["MACs (M)"] / costs["MACs (M)"][0]).round(2)
if QUICK:  # CI's quick check trains two of the five (tracing each takes seconds); the costs above are all five
    CANDIDATES = {k: CANDIDATES[k] for k in ("base (phi = 0)", "compound (phi = 1)")}
costs'''

TRAIN = '''\
fashion = load_dataset("fashion_mnist").subset(512 if QUICK else 15000, 500 if QUICK else 5000)
recipe = dict(epochs=1 if QUICK else 5, batch_size=128, optimizer="adamw", lr=4e-3, weight_decay=0.05,
              warmup_epochs=0.0 if QUICK else 1.0, schedule="cosine", label_smoothing=0.1, augment="flip")
results = []
for label, factors in CANDIDATES.items():
    convnets.layers.init.set_seed(0)
    model = scaled(**factors, name=label.split(" ")[0])
    h = fit(model, fashion, f"{RUNS}/scaling-{len(results)}", **recipe)
    results.append({"network": label, "test accuracy": float(h["val_accuracy"].iloc[-1]),
                    "seconds": round(float(h["train_seconds"].sum()), 1)})
    print(results[-1])
results = costs.merge(pd.DataFrame(results), on="network").reset_index(drop=True)
results'''

PLOT = '''\
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.scatter(results["MACs (M)"], results["test accuracy"])
for _, r in results.iterrows():
    ax.annotate(r["network"], (r["MACs (M)"], r["test accuracy"]), fontsize=8)
ax.set(xlabel="multiply-adds per image (M)", ylabel="test accuracy", title="one doubling of the budget, four ways")
ax.grid(alpha=.3)
assert len(results) == len(CANDIDATES) and (results["MACs / base"][1:] > 1.3).all()  # each at least 1.3x the base'''


def nb_compound_scaling() -> list:
    return [
        intro("""\
# 06: Compound scaling: EfficientNet's rule on a mini

How should a network grow when you can afford more compute: deeper (ResNet-18 to
ResNet-200), wider (Wide ResNet), or fed larger images? Tan & Le (2019) observed that
scaling any one of the three saturates, and that they interact: larger images need
more layers to see them whole and more channels to hold their detail. Their rule,
**compound scaling** (Sec. 3.3), grows all three together by one coefficient phi:
depth by alpha^phi, width by beta^phi and resolution by gamma^phi, with
alpha * beta^2 * gamma^2 about 2 so that each step of phi doubles the cost (a
convolution's multiply-adds grow linearly with depth and quadratically with width and
resolution). EfficientNet-B0 was found by a search; B1 to B7 are the rule applied.

Here the rule is applied to a small EfficientNet (B0's MBConv stages at half width and
half depth, on 20x20 images): one doubling of the budget is spent on depth alone, on width alone, on
resolution alone, and compounded, and each network is trained and measured.""", """\
# 06: Escalonamento composto: a regra da EfficientNet numa mini

Como uma rede deve crescer quando há mais computação disponível: mais profunda (da
ResNet-18 à ResNet-200), mais larga (Wide ResNet) ou alimentada com imagens maiores? Tan e
Le (2019) observaram que escalar só uma das três dimensões satura, e que elas interagem:
imagens maiores precisam de mais camadas para serem vistas por inteiro e de mais canais
para guardar seus detalhes. A regra deles, o **escalonamento composto** (Seç. 3.3), faz
crescer as três juntas com um único coeficiente phi: profundidade por alpha^phi, largura
por beta^phi e resolução por gamma^phi, com alpha * beta^2 * gamma^2 em torno de 2, de
modo que cada passo de phi dobra o custo (as multiplicações-acumulações de uma convolução
crescem linearmente com a profundidade e quadraticamente com a largura e a resolução). A
EfficientNet-B0 foi encontrada por uma busca; da B1 à B7 é a regra aplicada.

Aqui a regra é aplicada a uma EfficientNet pequena (os estágios MBConv da B0 com metade da
largura e metade da profundidade, em imagens 20x20): uma duplicação do orçamento é gasta só em profundidade, só em
largura, só em resolução, e de forma composta, e cada rede é treinada e medida."""),
        code(SETUP),
        md("""\
## The rule, and the released B0 to B7

The paper fixes phi = 1, searches alpha, beta and gamma on B0 under the doubling
constraint, then scales B0 by phi. The released width, depth and resolution of B1-B7
(`convnets.models.efficientnet.SCALING`) were rounded from it.""", """\
## A regra, e as B0 a B7 publicadas

O artigo fixa phi = 1, busca alpha, beta e gamma na B0 sob a restrição de dobrar o custo
e depois escala a B0 por phi. A largura, a profundidade e a resolução publicadas das B1-B7
(`convnets.models.efficientnet.SCALING`) foram arredondadas a partir dela."""),
        code(RULE),
        md("""\
## One budget, four ways to spend it

`EfficientNetConfig` holds the width and depth multipliers (rounded as the reference
code does: channels to multiples of 8, repeats up); the resolution is the input shape.
First the cost of each candidate, counted by `convnets.summarize`. Each should cost
about twice the base; they land between 1.4x and 1.9x instead, and the table says why:
the stem and the head do not deepen, repeats round up and channels round to multiples
of 8, and a 20-pixel map shrinks to 2x2 after four halvings, where 1.41x the pixels
is not 1.41x the positions at every stage. The released networks round too: B1 costs
1.8x B0's FLOPs (0.70 against 0.39 billion, Table 2), not 2x.""", """\
## Um orçamento, quatro maneiras de gastá-lo

`EfficientNetConfig` guarda os multiplicadores de largura e de profundidade (arredondados
como no código de referência: canais em múltiplos de 8, repetições para cima); a resolução é
o formato da entrada. Primeiro o custo de cada candidata, contado por `convnets.summarize`. Cada uma deveria
custar cerca do dobro da base; elas ficam entre 1,4x e 1,9x, e a tabela mostra por quê: o
stem e a cabeça não ficam mais profundos, as repetições são arredondadas para cima e os
canais para múltiplos de 8, e um mapa de 20 pixels encolhe para 2x2 depois de quatro
reduções à metade, onde 1,41x os pixels não são 1,41x as posições em todo estágio. As redes
publicadas também arredondam: a B1 custa 1,8x os FLOPs da B0 (0,70 contra 0,39 bilhão,
Tabela 2), não 2x."""),
        code(BUILD),
        md("""\
## Trained on one recipe

The same recipe, seed and images for the five networks (15,000 Fashion-MNIST training
images, 5 epochs, a few minutes on a 2-core CPU; the quick settings CI runs use a few
hundred images and one epoch).""", """\
## Treinadas com uma receita

A mesma receita, semente e imagens para as cinco redes (15.000 imagens de treino do
Fashion-MNIST, 5 épocas, alguns minutos numa CPU de 2 núcleos; as configurações rápidas que
a CI executa usam algumas centenas de imagens e uma época)."""),
        code(TRAIN_HELPER),
        code(TRAIN),
        code(PLOT),
        md("""\
## Reading it

The paper's Figure 3 shows each single-axis curve flattening as it grows, and Figure 4
the compound one above them at equal FLOPs, on ImageNet, where the images are 224 pixels
and more. On 28x28 clothing images most of the information is already there at 20
pixels, so resolution buys less here than on ImageNet, and one seed of a few epochs
separates the candidates by less than its noise; treat the ranking as a hypothesis to
test with more epochs and seeds (`recipe["epochs"] = 10`, `convnets.layers.init.set_seed(1)`).
What does hold at any size is the cost arithmetic: depth is linear, width and
resolution quadratic, and the rule spends a budget across all three.""", """\
## Como ler

A Figura 3 do artigo mostra cada curva de um só eixo se achatando à medida que cresce, e
a Figura 4 a curva composta acima delas com os mesmos FLOPs, no ImageNet, onde as imagens
têm 224 pixels ou mais. Em imagens de roupas 28x28 quase toda a informação já está lá com
20 pixels, então a resolução rende menos aqui do que no ImageNet, e uma semente com poucas
épocas separa as candidatas por menos do que o seu ruído; trate a ordem como uma hipótese a
testar com mais épocas e sementes (`recipe["epochs"] = 10`,
`convnets.layers.init.set_seed(1)`). O que vale em qualquer tamanho é a aritmética do custo:
a profundidade é linear, a largura e a resolução são quadráticas, e a regra distribui um
orçamento entre as três."""),
    ]
