"""Write the learning notebooks in notebooks/ (English) and notebooks/pt-BR/ (Brazilian Portuguese),
from one source: each notebook is a Python function returning ``md(en, pt)`` cells (the explanation in
both languages) and ``code(source)`` cells (one source for both, so the two never diverge); see
scripts/nbcells.py. The .ipynb files are generated, without outputs.

    python scripts/notebooks.py            # write notebooks/*.ipynb and notebooks/pt-BR/*.ipynb
    python scripts/notebooks.py --run      # also execute the English ones (as CI does, quick settings)

Every notebook reads two environment variables: ``CONVNETS_DATA_DIR`` (where
mnist/ and fashion-mnist/ are; default ../../shared/data if present) and
``CONVNETS_NOTEBOOK_QUICK=1`` (tiny subsets and one epoch: what CI runs to check
they work; unset, each takes a few minutes on a 2-core CPU).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_notebook

sys.path.insert(0, str(Path(__file__).resolve().parent))  # scripts/ is not a package
from nb00_tf1_to_tf2 import nb_tf1_to_tf2  # noqa: E402  (notebooks 00 and 06-08 have a file each)
from nb06_compound_scaling import nb_compound_scaling  # noqa: E402
from nb07_modernising import nb_modernising  # noqa: E402
from nb08_ops import nb_ops  # noqa: E402
from nbcells import SETUP, TRAIN_HELPER, code, intro, md, render

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "notebooks"
# Where each language's notebooks go (same file names in both).
OUT_DIRS = {"en": OUT, "pt": OUT / "pt-BR"}
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def nb_lenet() -> list:
    return [
        intro("""\
# 01: LeNet-5 from the layers up

LeCun et al. 1998 built the network that every later convnet follows:
convolution, subsampling, convolution, subsampling, and a classifier. Here we
build it from convnets' low-level layers (each a `tf.Module` holding
`tf.Variable`s and calling `tf.nn`), check it against the paper's numbers,
write the training step ourselves with `tf.GradientTape`, and train it on MNIST.""",
              """\
# 01: LeNet-5, camada por camada

LeCun et al. 1998 construíram a rede que todas as redes convolucionais posteriores
seguem: convolução, subamostragem, convolução, subamostragem e um classificador.
Aqui nós a montamos com as camadas de baixo nível do convnets (cada uma é um
`tf.Module` que guarda `tf.Variable`s e chama `tf.nn`), conferimos com os números
do artigo, escrevemos nós mesmos o passo de treinamento com `tf.GradientTape` e a
treinamos no MNIST."""),
        code(SETUP),
        md("""\
## The layers of Sec. II-B

C3 is not fully connected to S2: Table I lists which of S2's six maps each of
C3's sixteen maps sees. S2 and S4 are *trainable* subsampling layers: the
average of 2x2 inputs times a learned coefficient plus a learned bias.""",
           """\
## As camadas da Sec. II-B

C3 não é totalmente conectada a S2: a Tabela I lista quais dos seis mapas de S2
cada um dos dezesseis mapas de C3 enxerga. S2 e S4 são camadas de subamostragem
*treináveis*: a média de 2x2 entradas, multiplicada por um coeficiente aprendido,
mais um viés aprendido."""),
        code("""\
from convnets.layers import Conv2D, Dense, Flatten, PartialConv2D, Subsampling2D, scaled_tanh
from convnets.models.lenet import C3_TABLE

class MyLeNet5(tf.Module):
    def __init__(self):
        super().__init__(name="my_lenet5")
        init = "lecun1998_uniform"                                     # Appendix C
        self.C1 = Conv2D(1, 6, 5, w_init=init, name="C1")              # 6@28x28
        self.S2 = Subsampling2D(6, name="S2")                          # 6@14x14
        self.C3 = PartialConv2D(6, C3_TABLE, 5, w_init=init, name="C3")  # 16@10x10, Table I
        self.S4 = Subsampling2D(16, name="S4")                         # 16@5x5
        self.C5 = Conv2D(16, 120, 5, w_init=init, name="C5")           # 120@1x1
        self.F6 = Dense(120, 84, w_init=init, name="F6")
        self.out = Dense(84, 10, name="output")                        # softmax instead of RBF units

    def __call__(self, x, training=False):
        f = scaled_tanh                                                # 1.7159 tanh(2x/3), Appendix A
        x = f(self.S2(f(self.C1(x))))
        x = f(self.S4(f(self.C3(x))))
        x = f(self.C5(x))
        x = f(self.F6(Flatten()(x)))
        return self.out(x)

net = MyLeNet5()
for layer in (net.C1, net.S2, net.C3, net.S4, net.C5, net.F6, net.out):
    print(f"{layer.name:7s} {sum(int(np.prod(v.shape)) for v in layer.trainable_variables):7,d} parameters")
total = sum(int(np.prod(v.shape)) for v in net.trainable_variables)
print(f"total   {total:7,d}  (the paper: 60,000 for C1..F6; the library's lenet5: "
      f"{convnets.create_model('lenet5').trainable_params:,})")"""),
        md("""\
## MNIST, centred in a 32x32 field

The paper pads the 28x28 digits to 32x32 so that strokes reach the centre of
C1's receptive fields at the border. `load_dataset` reads the IDX files
(from `CONVNETS_DATA_DIR`); the preprocessing is the library's.""",
           """\
## MNIST, centralizado em um campo de 32x32

O artigo completa com bordas os dígitos de 28x28 até 32x32, para que os traços
alcancem o centro dos campos receptivos de C1 que ficam na borda. `load_dataset`
lê os arquivos IDX (de `CONVNETS_DATA_DIR`); o pré-processamento é o da biblioteca."""),
        code("""\
mnist = load_dataset("mnist")
if QUICK:
    mnist = mnist.subset(2000, 1000)
from convnets.data.pipeline import PreprocessSpec, make_dataset
spec = PreprocessSpec.for_dataset(mnist, (32, 32, 1))
train_data = make_dataset(mnist, "train", spec, 64, training=True)
test_data = make_dataset(mnist, "test", spec, 500)
x, y = next(iter(train_data))
print(x.shape, y[:10].numpy())
fig, axes = plt.subplots(1, 8, figsize=(10, 1.6))
for ax, img, label in zip(axes, x[:8], y[:8]):
    ax.imshow(img[..., 0], cmap="gray"); ax.set_title(int(label)); ax.axis("off")"""),
        md("""\
## The training step, by hand

Forward pass under a `GradientTape`, cross-entropy, gradients, and an Adam
update (convnets' own, written with `tf.Variable`s). `tf.function` traces it
once into a graph.""",
           """\
## O passo de treinamento, feito à mão

Propagação direta (forward pass) dentro de um `GradientTape`, entropia cruzada,
gradientes e uma atualização do Adam (o do próprio convnets, escrito com
`tf.Variable`s). `tf.function` o rastreia uma única vez e o transforma em um grafo."""),
        code("""\
from convnets.optim import Adam
optimizer = Adam(1e-3)
optimizer.build(net.trainable_variables)

@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = net(x, training=True)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
    grads = tape.gradient(loss, net.trainable_variables)
    optimizer.apply(grads, net.trainable_variables)
    return loss

def accuracy(data):
    right = total = 0
    for x, y in data:
        right += int(tf.reduce_sum(tf.cast(tf.argmax(net(x), 1) == y, tf.int32)))
        total += int(y.shape[0])
    return right / total

epochs = 1 if QUICK else 3
history = []
for epoch in range(epochs):
    start, losses = time.perf_counter(), []
    for x, y in make_dataset(mnist, "train", spec, 64, training=True, epoch=epoch):
        losses.append(float(train_step(x, y)))
    history.append({"epoch": epoch + 1, "loss": round(float(np.mean(losses)), 4),
                    "test accuracy": accuracy(test_data), "seconds": round(time.perf_counter() - start, 1)})
    print(history[-1])
pd.DataFrame(history)"""),
        md("""\
Three epochs of this plain loop gave 98.28% when we ran it (about four minutes
on a 2-core CPU). The recipe
(`convnets train lenet5 --dataset mnist`) adds random shifts of up to 4 pixels,
as the paper's distortion experiments did, label smoothing and a warm-up, and
reaches 99.07-99.16% in 30 epochs on seeds 0, 1 and 2.

## What did C1 learn?""",
           """\
Três épocas deste laço de treinamento simples deram 98.28% quando o executamos
(cerca de quatro minutos em uma CPU de 2 núcleos). A receita
(`convnets train lenet5 --dataset mnist`) acrescenta deslocamentos aleatórios de
até 4 pixels, como nos experimentos com distorções do artigo, label smoothing e um
aquecimento (warm-up), e chega a 99.07-99.16% em 30 épocas nas sementes 0, 1 e 2.

## O que C1 aprendeu?"""),
        code("""\
from convnets.viz.inside import plot_filters, plot_feature_maps
fig = plot_filters(net.C1.w.numpy(), "C1: six 5x5 kernels")
x, _ = next(iter(test_data))
fig = plot_feature_maps(x[0].numpy(), scaled_tanh(net.C1(x[:1]))[0].numpy(), "C1's six feature maps")"""),
    ]


def nb_alexnet_vgg() -> list:
    return [
        intro("""\
# 02: From AlexNet to VGG: depth and small kernels

AlexNet (2012) used 11x11 and 5x5 kernels; VGG (2014) used only 3x3 and went
deeper. Two stacked 3x3 convolutions see a 5x5 window, three see 7x7, with
fewer parameters and more non-linearities (Simonyan & Zisserman, Sec. 2.3).
We count, then train the two minis side by side on Fashion-MNIST.""",
              """\
# 02: Da AlexNet à VGG: profundidade e kernels pequenos

A AlexNet (2012) usava kernels de 11x11 e 5x5; a VGG (2014) usou apenas 3x3 e foi
mais fundo. Duas convoluções 3x3 empilhadas enxergam uma janela de 5x5, três
enxergam 7x7, com menos parâmetros e mais não linearidades (Simonyan & Zisserman,
Sec. 2.3). Primeiro contamos os parâmetros; depois treinamos as duas versões mini
lado a lado no Fashion-MNIST."""),
        code(SETUP),
        code("""\
from convnets.layers import Conv2D
C = 64
one_5x5 = Conv2D(C, C, 5, use_bias=False)
two_3x3 = [Conv2D(C, C, 3, use_bias=False) for _ in range(2)]
one_7x7 = Conv2D(C, C, 7, use_bias=False)
print(f"one 5x5:   {one_5x5.trainable_params:,} weights   two 3x3:   {sum(c.trainable_params for c in two_3x3):,}")
print(f"one 7x7:   {one_7x7.trainable_params:,} weights   three 3x3: {3 * two_3x3[0].trainable_params:,}")"""),
        md("""\
## Where the parameters and the compute are

In both full networks most *parameters* sit in the dense layers, while nearly
all the *compute* is in the convolutions.""",
           """\
## Onde estão os parâmetros e a computação

Nas duas redes completas, a maior parte dos *parâmetros* fica nas camadas densas,
enquanto quase toda a *computação* está nas convoluções."""),
        code("""\
rows = []
for name in ("alexnet", "vgg11", "vgg16", "vgg19"):
    with convnets.layers.init.zeros_only():
        s = convnets.summarize(convnets.create_model(name))
    dense = sum(l["params"] for l in s["layers"] if l["type"] == "Dense")
    conv_macs = sum(l["macs"] for l in s["layers"] if l["type"].endswith("Conv2D"))
    rows.append({"model": name, "params (M)": s["trainable_params"] / 1e6, "in dense layers": dense / s["trainable_params"],
                 "GMACs": s["macs"] / 1e9, "in convolutions": conv_macs / s["macs"]})
pd.DataFrame(rows).round(3)"""),
        md("## Training the minis side by side",
           "## Treinando as versões mini lado a lado"),
        code(TRAIN_HELPER),
        code("""\
fashion = load_dataset("fashion_mnist").subset(600 if QUICK else 12000, 500 if QUICK else 5000)
histories = []
for name in ("alexnet_mini", "vgg_mini"):
    model = convnets.create_model(name, input_shape=(28, 28, 1))
    h = fit(model, fashion, f"{RUNS}/{name}", epochs=1 if QUICK else 4, optimizer="adam", lr=1e-3 if name == "alexnet_mini" else 2e-3,
            schedule="cosine", augment="flip")
    h["params"] = model.trainable_params
    histories.append(h)
results = pd.concat(histories)
results[["model", "epoch", "loss", "val_accuracy", "train_seconds", "params"]]"""),
        code("""\
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, h in results.groupby("model"):
    ax.plot(h["epoch"], h["val_accuracy"], "o-", label=name)
ax.set(xlabel="epoch", ylabel="test accuracy", title="Fashion-MNIST subset"); ax.legend(); ax.grid(alpha=.3)"""),
        md("""\
With the full training set and the recipes in `src/convnets/recipes.py`, VGG
mini reaches 92.5% and AlexNet mini 91.9% (docs/results.md): the 3x3 stacks
do at least as well with fewer parameters.""",
           """\
Com o conjunto de treinamento completo e as receitas de `src/convnets/recipes.py`,
a VGG mini chega a 92.5% e a AlexNet mini a 91.9% (docs/results.md): as pilhas de
convoluções 3x3 se saem pelo menos tão bem com menos parâmetros."""),
    ]


def nb_residual() -> list:
    return [
        intro("""\
# 03: Residual connections and the degradation problem

He et al. (2015, Fig. 1 and Fig. 6) found that a deeper *plain* network had a
higher **training** error than a shallower one: not overfitting, but harder to
optimise. Adding identity shortcuts fixed it. Here the same 32-layer network
(the CIFAR ResNet of Sec. 4.2) is trained with and without shortcuts
(`shortcut="none"` builds the plain one), with identical initial weights.""",
              """\
# 03: Conexões residuais e o problema da degradação

He et al. (2015, Fig. 1 e Fig. 6) observaram que uma rede *simples* (plain) mais
profunda tinha um erro de **treinamento** maior que o de uma mais rasa: não era
sobreajuste (overfitting), e sim uma rede mais difícil de otimizar. Acrescentar
atalhos de identidade (shortcuts) resolveu o problema. Aqui a mesma rede de 32
camadas (a ResNet para CIFAR da Sec. 4.2) é treinada com e sem atalhos
(`shortcut="none"` constrói a rede simples), com pesos iniciais idênticos."""),
        code(SETUP),
        code(TRAIN_HELPER),
        code("""\
depth = 20 if QUICK else 32
fashion = load_dataset("fashion_mnist").subset(512 if QUICK else 8000, 500 if QUICK else 2000)
histories = []
for shortcut in ("none", "A"):
    convnets.layers.init.set_seed(0)
    model = convnets.create_model(f"resnet{depth}", input_shape=(28, 28, 1),
                                  shortcut=shortcut)
    h = fit(model, fashion, f"{RUNS}/{shortcut}", epochs=1 if QUICK else 3, optimizer="sgd", lr=0.1,
            momentum=0.9, schedule="constant")
    h["network"] = f"plain-{depth}" if shortcut == "none" else f"resnet-{depth}"
    histories.append(h)
results = pd.concat(histories)
results[["network", "epoch", "loss", "accuracy", "val_accuracy", "train_seconds"]]"""),
        code("""\
fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.5))
for name, h in results.groupby("network"):
    a.plot(h["epoch"], h["loss"], "o-", label=name)
    b.plot(h["epoch"], h["val_accuracy"], "o-", label=name)
a.set(xlabel="epoch", ylabel="training loss", title="training loss (lower is better)")
b.set(xlabel="epoch", ylabel="test accuracy", title="test accuracy")
for ax in (a, b): ax.legend(); ax.grid(alpha=.3)"""),
        md("""\
The residual network's *training* loss falls faster: the shortcuts make the
identity easy to represent and give gradients a direct path to early layers.
The gap grows with depth (the paper's plain-56 is worse than plain-20 on the
training set); try `depth = 56` with `create_model("resnet56", shortcut="none")`.

Gradients tell the same story. Below: the norm of the loss gradient for each
convolution's kernel, first layer to last, at initialisation.""",
           """\
A perda de *treinamento* da rede residual cai mais rápido: os atalhos tornam a
identidade fácil de representar e dão aos gradientes um caminho direto até as
primeiras camadas. A diferença cresce com a profundidade (no artigo, a plain-56 é
pior que a plain-20 no conjunto de treinamento); experimente `depth = 56` com
`create_model("resnet56", shortcut="none")`.

Os gradientes contam a mesma história. Abaixo: a norma do gradiente da perda em
relação ao kernel de cada convolução, da primeira camada à última, na inicialização."""),
        code("""\
from convnets.train.losses import cross_entropy
x, y = fashion.train.images[:64], fashion.train.labels[:64]
from convnets.data.pipeline import PreprocessSpec, preprocess
xs = preprocess(x, PreprocessSpec.for_dataset(fashion, (28, 28, 1)))
fig, ax = plt.subplots(figsize=(7, 3.5))
for shortcut, label in (("none", "plain"), ("A", "residual")):
    convnets.layers.init.set_seed(0)
    model = convnets.create_model("resnet56" if not QUICK else "resnet20", input_shape=(28, 28, 1), shortcut=shortcut)
    kernels = [v for v in model.trainable_variables if len(v.shape) == 4]
    with tf.GradientTape() as tape:
        loss = cross_entropy(tf.constant(y, tf.int64), model(xs, training=True))
    norms = [float(tf.norm(g)) for g in tape.gradient(loss, kernels)]
    ax.semilogy(norms, label=label)
ax.set(xlabel="convolution (input to output)", ylabel="gradient norm", title="gradients at initialisation")
ax.legend(); ax.grid(alpha=.3)"""),
    ]


def nb_mobilenet() -> list:
    return [
        intro("""\
# 04: MobileNet: depthwise separable convolutions

A standard 3x3 convolution from M to N channels on a DxD map costs
`9 M N D^2` multiply-adds. MobileNet (Howard et al. 2017, Sec. 3.1) splits it
into a depthwise 3x3 (one filter per input channel: `9 M D^2`) and a pointwise
1x1 (`M N D^2`): a cost ratio of `1/N + 1/9`. The width multiplier alpha thins
every layer, cutting cost by about alpha squared.""",
              """\
# 04: MobileNet: convoluções separáveis em profundidade (depthwise separable)

Uma convolução 3x3 padrão de M para N canais em um mapa DxD custa
`9 M N D^2` multiplicações-adições. A MobileNet (Howard et al. 2017, Sec. 3.1) a
divide em uma 3x3 depthwise (um filtro por canal de entrada: `9 M D^2`) e uma 1x1
pointwise (`M N D^2`): uma razão de custo de `1/N + 1/9`. O multiplicador de
largura alpha afina todas as camadas e multiplica o custo por cerca de alpha ao
quadrado."""),
        code(SETUP),
        code("""\
from convnets.layers import Conv2D, DepthwiseConv2D
M, N, D = 256, 256, 14
standard = Conv2D(M, N, 3, padding="same", use_bias=False)
depthwise, pointwise = DepthwiseConv2D(M, 3, padding="same", use_bias=False), Conv2D(M, N, 1, use_bias=False)
s, d, p = standard.macs((D, D, M)), depthwise.macs((D, D, M)), pointwise.macs((D, D, M))
print(f"standard 3x3: {s:,} MACs, {standard.trainable_params:,} weights")
print(f"separable:    {d + p:,} MACs, {depthwise.trainable_params + pointwise.trainable_params:,} weights")
print(f"ratio {(d + p) / s:.3f}  (1/N + 1/9 = {1 / N + 1 / 9:.3f})")"""),
        md("## Table 6 of the paper, computed: cost against alpha at 224x224",
           "## A Tabela 6 do artigo, calculada: custo em função de alpha em 224x224"),
        code("""\
rows = []
for alpha in (1.0, 0.75, 0.5, 0.25):
    with convnets.layers.init.zeros_only():
        s = convnets.summarize(convnets.create_model("mobilenet_v1", alpha=alpha))
    rows.append({"alpha": alpha, "params (M)": s["trainable_params"] / 1e6, "MACs (M)": s["macs"] / 1e6})
table = pd.DataFrame(rows)
table["paper MACs (M)"] = [569, 325, 149, 41]  # Table 6
table.round(2)"""),
        md("## Accuracy against cost: the mini at three widths on Fashion-MNIST",
           "## Acurácia em função do custo: a versão mini em três larguras no Fashion-MNIST"),
        code(TRAIN_HELPER),
        code("""\
fashion = load_dataset("fashion_mnist").subset(600 if QUICK else 10000, 500 if QUICK else 2000)
rows = []
for alpha in ((0.5,) if QUICK else (0.25, 0.5, 1.0)):
    model = convnets.create_model("mobilenet_v1_mini", input_shape=(28, 28, 1), alpha=alpha)
    macs = convnets.summarize(model)["macs"]
    h = fit(model, fashion, f"{RUNS}/alpha{alpha}", epochs=1 if QUICK else 3, optimizer="adam", lr=2e-3,
            schedule="cosine", augment="flip")
    rows.append({"alpha": alpha, "params": model.trainable_params, "MACs (M)": macs / 1e6,
                 "test accuracy": h["val_accuracy"].iloc[-1], "seconds": h["train_seconds"].sum()})
results = pd.DataFrame(rows)
results"""),
        code("""\
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(results["MACs (M)"], results["test accuracy"], "o-")
for _, r in results.iterrows():
    ax.annotate(f"alpha {r['alpha']}", (r["MACs (M)"], r["test accuracy"]))
ax.set(xscale="log", xlabel="multiply-adds per image (M)", ylabel="test accuracy", title="cost against accuracy")
ax.grid(alpha=.3)"""),
        md("""\
Halving alpha quarters the compute and costs a little accuracy: the trade-off
of the paper's Table 6, on a laptop.""",
           """\
Reduzir alpha à metade divide a computação por quatro e custa um pouco de
acurácia: o compromisso da Tabela 6 do artigo, em um laptop."""),
    ]


def nb_variants() -> list:
    return [
        intro("""\
# 05: Wider, grouped, attended: ResNet-20 and four changes to its unit

After ResNet (2015) the residual unit itself was rebuilt: **pre-activation**
(He et al. 2016: BatchNorm and ReLU before each convolution, nothing after the
addition), **wider and shallower** (Zagoruyko & Komodakis 2016, Wide ResNet),
**grouped** (Xie et al. 2017, ResNeXt: cardinality, a grouped 3x3 in a
bottleneck) and **attended** (Hu et al. 2017, SENet: a squeeze-and-excitation
gate on each unit's residual). Here the five minis of this zoo are trained on
one budget, the same recipe, and compared on what each change costs (parameters,
multiply-adds, seconds) and buys (accuracy). docs/results.md has the same
comparison at full length on the CIFAR-10 image folder.""",
              """\
# 05: Mais larga, agrupada, com atenção: a ResNet-20 e quatro mudanças na sua unidade

Depois da ResNet (2015), a própria unidade residual foi reconstruída:
**pré-ativação** (He et al. 2016: BatchNorm e ReLU antes de cada convolução, nada
depois da soma), **mais larga e mais rasa** (Zagoruyko & Komodakis 2016, Wide
ResNet), **agrupada** (Xie et al. 2017, ResNeXt: cardinalidade, uma 3x3 agrupada em
um bloco bottleneck) e **com atenção** (Hu et al. 2017, SENet: uma porta (gate) de
squeeze-and-excitation no ramo residual de cada unidade). Aqui as cinco versões
mini deste zoo de modelos são treinadas com o mesmo orçamento e a mesma receita, e
comparadas pelo que cada mudança custa (parâmetros, multiplicações-adições,
segundos) e pelo que ela rende (acurácia). O docs/results.md traz a mesma
comparação em escala completa, na pasta de imagens do CIFAR-10."""),
        code(SETUP),
        md("""\
## What each unit is, in the code

`convnets summary` shows the layers; the receptive field column says how far
each layer sees (an SE gate pools its whole map, so it sees everything).""",
           """\
## O que é cada unidade, no código

`convnets summary` mostra as camadas; a coluna do campo receptivo diz até onde
cada camada enxerga (uma porta SE faz o pooling do mapa inteiro, então enxerga
tudo)."""),
        code("""\
from convnets.recipes import RESNET20_VARIANTS, COMPARISON_RECIPE
rows = []
for name, change in RESNET20_VARIANTS:
    with convnets.layers.init.zeros_only():
        s = convnets.summarize(convnets.create_model(name, input_shape=(28, 28, 1)), fields=True)
    rows.append({"model": name, "change": change, "params": s["trainable_params"], "MACs (M)": s["macs"] / 1e6,
                 "layers": len(s["layers"]), "receptive field": s["features_receptive_field"]["receptive_field"][0]})
pd.set_option("display.max_colwidth", 70)
pd.DataFrame(rows)"""),
        md("""\
## One recipe, five networks

The recipe is the zoo's fast one for these minis (`recipes.COMPARISON_RECIPE`):
AdamW, a warm-up into a cosine, label smoothing, flips. Same seed, same data,
same number of steps.""",
           """\
## Uma receita, cinco redes

A receita é a rápida do zoo para estas versões mini (`recipes.COMPARISON_RECIPE`):
AdamW, um aquecimento (warm-up) seguido de um decaimento cosseno, suavização de
rótulos (label smoothing), espelhamentos horizontais (flips). Mesma semente, mesmos
dados, mesmo número de passos."""),
        code(TRAIN_HELPER),
        code("""\
fashion = load_dataset("fashion_mnist").subset(512 if QUICK else 12000, 500 if QUICK else 5000)
settings = dict(COMPARISON_RECIPE, epochs=1 if QUICK else 3)
results = []
for name, change in RESNET20_VARIANTS:
    convnets.layers.init.set_seed(0)
    model = convnets.create_model(name, input_shape=(28, 28, 1))
    h = fit(model, fashion, f"{RUNS}/{name}", **settings)
    results.append({"model": name, "params": model.trainable_params, "test accuracy": h["val_accuracy"].iloc[-1],
                    "seconds": h["train_seconds"].sum()})
results = pd.DataFrame(results)
results"""),
        code("""\
fig, ax = plt.subplots(figsize=(6, 3.8))
ax.scatter(results["seconds"], results["test accuracy"])
for _, r in results.iterrows():
    ax.annotate(r["model"], (r["seconds"], r["test accuracy"]), fontsize=8)
ax.set(xlabel="training seconds", ylabel="test accuracy", title="what each change costs and buys")
ax.grid(alpha=.3)"""),
        md("""\
Read it with the costs beside it: at this size and budget the differences are
small, and a single seed can order them differently; the papers measured their
gains on far deeper networks trained for hundreds of epochs (Wide ResNet's
WRN-28-10, ResNeXt-29, SE-ResNet-164). The table in docs/results.md gives the
same comparison on CIFAR-10 with its seeds. Try a longer budget
(`settings["epochs"] = 10`) or the CIFAR-10 folder
(`load_dataset("folder:.../cifar10-jpeg")` with `input_shape=(32, 32, 3)`).""",
           """\
Leia o resultado com os custos ao lado: neste tamanho e com este orçamento as
diferenças são pequenas, e uma única semente pode ordená-las de outro jeito; os
artigos mediram seus ganhos em redes muito mais profundas, treinadas por centenas
de épocas (a WRN-28-10 da Wide ResNet, a ResNeXt-29, a SE-ResNet-164). A tabela em
docs/results.md traz a mesma comparação no CIFAR-10, com as suas sementes.
Experimente um orçamento maior (`settings["epochs"] = 10`) ou a pasta do CIFAR-10
(`load_dataset("folder:.../cifar10-jpeg")` com `input_shape=(32, 32, 3)`)."""),
    ]



NOTEBOOKS = {
    "00_tf1_to_tf2.ipynb": nb_tf1_to_tf2,
    "01_lenet5.ipynb": nb_lenet,
    "02_alexnet_to_vgg.ipynb": nb_alexnet_vgg,
    "03_residual.ipynb": nb_residual,
    "04_mobilenet.ipynb": nb_mobilenet,
    "05_resnet_variants.ipynb": nb_variants,
    "06_compound_scaling.ipynb": nb_compound_scaling,
    "07_modernising_a_resnet.ipynb": nb_modernising,
    "08_what_the_ops_compute.ipynb": nb_ops,
}


def notebook(name: str, lang: str = "en"):
    """The nbformat notebook NAME (a key of NOTEBOOKS) in one language ("en" or "pt"), without outputs."""
    cells = render(NOTEBOOKS[name](), lang)
    for i, cell in enumerate(cells):
        cell.id = f"cell-{i:02d}"  # stable ids: regenerating changes only what was edited
    return new_notebook(cells=cells, metadata={"kernelspec": dict(KERNELSPEC)})


def write() -> list[Path]:
    """Write every notebook in English (notebooks/NAME) and in Portuguese (notebooks/pt-BR/NAME);
    return the English paths (the ones --run executes: the Portuguese ones run the same code)."""
    paths = []
    for lang, folder in OUT_DIRS.items():
        folder.mkdir(parents=True, exist_ok=True)
        for name in NOTEBOOKS:
            path = folder / name
            nbformat.write(notebook(name, lang), path)
            if lang == "en":
                paths.append(path)
    return paths


def run(path: Path, quick: bool = True, timeout: int = 900):
    """Execute a notebook top to bottom in a scratch copy (the committed file keeps no outputs);
    return the executed notebook, with its outputs."""
    from nbclient import NotebookClient

    os.environ["CONVNETS_NOTEBOOK_QUICK"] = "1" if quick else ""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def output_text(nb) -> str:
    """Everything the executed notebook's code cells printed or displayed as text."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", "") if out.get("output_type") == "stream" else out.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", action="store_true", help="execute each notebook after writing it")
    p.add_argument("--full", action="store_true", help="with --run: the full settings, not the quick ones")
    args = p.parse_args()
    for path in write():
        print(f"wrote {path} and {OUT_DIRS['pt'] / path.name}")
        if args.run:
            start = __import__("time").perf_counter()
            run(path, quick=not args.full)
            print(f"  ran in {__import__('time').perf_counter() - start:.0f}s")


if __name__ == "__main__":
    main()
