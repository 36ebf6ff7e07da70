"""Notebook 07: modernising a ResNet, the ConvNeXt paper's roadmap (Liu et al. 2022, Figure 2) step by step."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from nbcells import SETUP, TRAIN_HELPER, code, intro, md  # noqa: E402

MODEL = '''\
from convnets.layers import Activation, BatchNorm, Conv2D, Dense, DepthwiseConv2D, GlobalAvgPool, LayerNorm, Sequential
from convnets.layers.base import Block, thread_shape
from convnets.models.base import Model

def norm(kind, c, name):
    return BatchNorm(c, name=name) if kind == "bn" else LayerNorm(c, name=name)

class Unit(Block):
    """One residual block, as the step's switches say (c channels in and out)."""
    def __init__(self, c, s, name):
        super().__init__(name=name)
        k, n, act = s["kernel"], s["norm"], s["act"]
        A = lambda i: Activation(act, name=f"{act}{i}")
        if s["block"] == "basic":           # ResNet: two 3x3 convolutions
            self.body = [Conv2D(c, c, k, 1, "same", use_bias=False, name="conv1"), norm(n, c, "norm1"), A(1),
                         Conv2D(c, c, k, 1, "same", use_bias=False, name="conv2"), norm(n, c, "norm2")]
        elif s["block"] == "depthwise":     # ResNeXt-ify: the spatial convolution is depthwise (groups = channels)
            self.body = [Conv2D(c, c, 1, use_bias=False, name="pw1"), norm(n, c, "norm1"), A(1),
                         DepthwiseConv2D(c, k, 1, "same", use_bias=False, name="dw"), norm(n, c, "norm2"), A(2),
                         Conv2D(c, c, 1, use_bias=False, name="pw2"), norm(n, c, "norm3")]
        elif s["block"] == "inverted":      # inverted bottleneck: 1x1 up to 4c, depthwise, 1x1 back down to c
            self.body = [Conv2D(c, 4 * c, 1, use_bias=False, name="pw1"), norm(n, 4 * c, "norm1"), A(1),
                         DepthwiseConv2D(4 * c, k, 1, "same", use_bias=False, name="dw"), norm(n, 4 * c, "norm2"),
                         A(2), Conv2D(4 * c, c, 1, use_bias=False, name="pw2"), norm(n, c, "norm3")]
        else:                               # "convnext": depthwise first, then one norm and one activation
            self.body = [DepthwiseConv2D(c, k, 1, "same", name="dw"), norm(n, c, "norm"),
                         Dense(c, 4 * c, name="pw1"), A(1), Dense(4 * c, c, name="pw2")]
        self.post = A("_out") if s["post_act"] else None  # ResNet's ReLU after the addition

    def forward(self, x, training=False):
        y = x
        for layer in self.body:
            y = layer(y, training=training)
        return self.post(x + y) if self.post is not None else x + y

    def output_shape(self, input_shape):
        return tuple(input_shape)

class Roadmap(Model):
    """A small convnet with every switch of the roadmap: stem, stages, block, kernel, activation, norm."""
    def __init__(self, s, num_classes=10, input_shape=(32, 32, 3), name="roadmap"):
        super().__init__(num_classes, input_shape, name=name)
        n, act, widths = s["norm"], s["act"], s["widths"]
        cin = input_shape[2]
        if s["stem"] == "conv":             # the CIFAR ResNet's stem: a 3x3 convolution, stride 1
            self.stem = Sequential([Conv2D(cin, widths[0], 3, 1, "same", use_bias=False, name="conv"),
                                    norm(n, widths[0], "norm"), Activation(act, name=act)], name="stem")
        else:                               # "patchify": non-overlapping 2x2 patches, stride 2
            self.stem = Sequential([Conv2D(cin, widths[0], 2, 2, "valid", name="conv"), norm(n, widths[0], "norm")],
                                   name="stem")
        self.stages = []
        for i, (c, blocks) in enumerate(zip(widths, s["blocks"])):
            if i > 0:
                prev = widths[i - 1]
                if s["downsample"] == "conv":   # a strided 3x3 convolution between stages
                    down = [Conv2D(prev, c, 3, 2, "same", use_bias=False, name="conv"), norm(n, c, "norm"),
                            Activation(act, name=act)]
                else:                           # "separate": a norm, then a 2x2 convolution with stride 2
                    down = [norm(n, prev, "norm"), Conv2D(prev, c, 2, 2, "valid", name="conv")]
                self.stages.append(Sequential(down, name=f"stage{i + 1}_downsample"))
            self.stages += [Unit(c, s, name=f"stage{i + 1}_block{j + 1}") for j in range(blocks)]
        self.pool = GlobalAvgPool(name="avg_pool")
        self.fc = Dense(widths[-1], num_classes, name="fc")
        self.num_features = widths[-1]
        self.config = {"name": name}

    def forward_features(self, x, training=False):
        for layer in (self.stem, *self.stages):
            x = layer(x, training=training)
        return x

    def forward_head(self, x, training=False):
        return self.fc(self.pool(x))

    def feature_shape(self, input_shape):
        return thread_shape((self.stem, *self.stages), input_shape)'''

STEPS = '''\
# Each step changes a few switches of the one before (Figure 2, top to bottom)
STEPS = [
    ("ResNet (the start)", dict(widths=(16, 32, 64), blocks=(2, 2, 2), stem="conv", block="basic", kernel=3,
                                act="relu", norm="bn", post_act=True, downsample="conv")),
    ("stage ratio 1:1:3", dict(blocks=(1, 1, 3))),
    ("patchify stem", dict(stem="patchify")),
    ("depthwise, wider", dict(block="depthwise", widths=(24, 48, 96))),
    ("inverted bottleneck", dict(block="inverted")),
    ("depthwise first, 7x7", dict(block="convnext", kernel=7)),
    ("GELU, LN, fewer norms and activations, separate downsampling",
     dict(act="gelu", norm="ln", post_act=False, downsample="separate")),
]
if QUICK:
    data, shape = load_dataset("fashion_mnist").subset(512, 500), (28, 28, 1)
else:
    data = load_dataset("folder:cifar10-jpeg", data_dir=os.environ.get("CONVNETS_DATA_DIR")).subset(10000, 5000)
    shape = (32, 32, 3)
recipe = dict(epochs=1 if QUICK else 4, batch_size=128, optimizer="adamw", lr=2e-3, weight_decay=0.05,
              warmup_epochs=0.0 if QUICK else 0.5, schedule="cosine", label_smoothing=0.1, augment="flip")
rows, s = [], {}
for i, (title, change) in enumerate(STEPS):
    s = {**s, **change}
    convnets.layers.init.set_seed(0)
    model = Roadmap(s, num_classes=data.num_classes, input_shape=shape, name=f"step{i}")
    h = fit(model, data, f"{RUNS}/roadmap{i}", **recipe)
    rows.append({"step": f"{i}: {title}", "params": model.trainable_params,
                 "MACs (M)": round(convnets.summarize(model)["macs"] / 1e6, 1),
                 "test accuracy": float(h["val_accuracy"].iloc[-1]), "seconds": round(float(h["train_seconds"].sum()), 1)})
    print(rows[-1])
roadmap = pd.DataFrame(rows)
roadmap'''

PLOT = '''\
fig, ax = plt.subplots(figsize=(7, 3.8))
ax.plot(range(len(roadmap)), roadmap["test accuracy"], "o-")
ax.set_xticks(range(len(roadmap)), [str(i) for i in range(len(roadmap))])
ax.set(xlabel="roadmap step (see the table)", ylabel="test accuracy", title="modernising a ResNet, one change at a time")
ax.grid(alpha=.3)
assert len(roadmap) == 7 and roadmap["test accuracy"].notna().all()'''

DRAW = '''\
from convnets.viz import diagram
fig = diagram.draw(Roadmap(s, input_shape=shape, name="step6"))  # the last step, drawn from the code'''


def nb_modernising() -> list:
    return [
        intro("""\
# 07: Modernising a ResNet: the ConvNeXt roadmap

In 2020 the vision transformers overtook the convnets on ImageNet. Liu et al. (2022)
asked how much of that was the transformer and how much its design choices and its
training. They started from a ResNet-50, trained it with a transformer's recipe, and
applied the Swin Transformer's choices **one at a time**, keeping each that helped
(their Figure 2, "the roadmap"): the stage ratio, a "patchify" stem, depthwise
convolutions made wider, the inverted bottleneck, large kernels with the depthwise
layer moved up, and the micro design (GELU, fewer activations and normalisations,
LayerNorm instead of BatchNorm, separate downsampling layers). The result is ConvNeXt.

Here the same roadmap is applied to a small CIFAR-sized ResNet, every step built from
the library's layers by one class with a switch per idea, trained with one recipe and
measured (parameters, multiply-adds, accuracy, seconds). The last step is, up to
layer scale and stochastic depth, `convnext_mini`.""", """\
# 07: Modernizando uma ResNet: o roteiro do ConvNeXt

Em 2020 os vision transformers superaram as redes convolucionais no ImageNet. Liu et al.
(2022) perguntaram quanto disso vinha do transformer e quanto vinha das suas escolhas de
projeto e do seu treinamento. Partiram de uma ResNet-50, treinaram-na com a receita de um
transformer e aplicaram as escolhas do Swin Transformer **uma de cada vez**, mantendo as
que ajudavam (a Figura 2 do artigo, "o roteiro"): a proporção entre os estágios, um stem
"patchify", convoluções depthwise mais largas, o gargalo invertido, kernels grandes com a
camada depthwise movida para o início do bloco e o micro-design (GELU, menos ativações e
normalizações, LayerNorm no lugar de BatchNorm, camadas de redução de resolução separadas).
O resultado é a ConvNeXt.

Aqui o mesmo roteiro é aplicado a uma ResNet pequena, do tamanho do CIFAR: cada passo é
construído com as camadas da biblioteca por uma única classe com uma chave para cada ideia,
treinado com a mesma receita e medido (parâmetros, multiplicações-acumulações, acurácia,
segundos). O último passo é, a menos de layer scale e stochastic depth, a `convnext_mini`."""),
        code(SETUP),
        md("""\
## One network, a switch per idea

`Unit` is one residual block and `Roadmap` the network; every idea of the roadmap is a
value of a switch:

| switch | the ResNet | ConvNeXt | paper |
|---|---|---|---|
| `blocks` | (2, 2, 2) | (1, 1, 3) | Sec. 2.2, stage ratio 3:3:9:3 |
| `stem` | 3x3 convolution | 2x2 patches, stride 2 | Sec. 2.2, "patchify" |
| `block` | two 3x3 | depthwise, inverted, depthwise first | Sec. 2.3-2.5 |
| `kernel` | 3 | 7 | Sec. 2.5 |
| `act`, `norm`, `post_act` | ReLU, BatchNorm, after the addition | GELU, LayerNorm, none after | Sec. 2.6 |
| `downsample` | strided 3x3 | norm, then 2x2 with stride 2 | Sec. 2.6 |""", """\
## Uma rede, uma chave para cada ideia

`Unit` é um bloco residual e `Roadmap` é a rede; cada ideia do roteiro é um valor de uma
chave:

| chave | a ResNet | a ConvNeXt | artigo |
|---|---|---|---|
| `blocks` | (2, 2, 2) | (1, 1, 3) | Seç. 2.2, proporção 3:3:9:3 |
| `stem` | convolução 3x3 | patches 2x2, stride 2 | Seç. 2.2, "patchify" |
| `block` | duas 3x3 | depthwise, invertido, depthwise primeiro | Seç. 2.3-2.5 |
| `kernel` | 3 | 7 | Seç. 2.5 |
| `act`, `norm`, `post_act` | ReLU, BatchNorm, depois da soma | GELU, LayerNorm, nada depois | Seç. 2.6 |
| `downsample` | 3x3 com stride | normalização, depois 2x2 com stride 2 | Seç. 2.6 |"""),
        code(MODEL),
        md("""\
## The roadmap, trained step by step

One recipe for every step (AdamW, a cosine, label smoothing, flips), the same seed and
the same images: 10,000 training and 5,000 test images of the CIFAR-10 folder, four
epochs each (about ten minutes on a 2-core CPU; the quick settings CI runs use a few
hundred Fashion-MNIST images). Each row is cumulative: step 3 has the patchify stem of
step 2 and the stage ratio of step 1.""", """\
## O roteiro, treinado passo a passo

A mesma receita para todos os passos (AdamW, cosseno, label smoothing, espelhamentos),
a mesma semente e as mesmas imagens: 10.000 imagens de treino e 5.000 de teste da pasta do
CIFAR-10, quatro épocas cada (cerca de dez minutos numa CPU de 2 núcleos; as
configurações rápidas que a CI executa usam algumas centenas de imagens do Fashion-MNIST).
Cada linha é cumulativa: o passo 3 tem o stem patchify do passo 2 e a proporção de
estágios do passo 1."""),
        code(TRAIN_HELPER),
        code(STEPS),
        code(PLOT),
        md("""\
## Reading it

Watch the cost columns as closely as the accuracy. The patchify stem divides the
multiply-adds by about four (every later layer sees a quarter of the pixels); the
depthwise step cuts them again, which the paper spends on width; the inverted
bottleneck spends it back. On ImageNet each step moved top-1 by a fraction of a point
to a point (ResNet-50's 78.8% to ConvNeXt-T's 82.0% with the same recipe); on a few
thousand small images and a few epochs, one seed, the differences between neighbouring
steps are within noise, and the low-resolution maps of a 32x32 image do not need a 7x7
kernel as a 56x56 one does. What the roadmap shows at this size is that a transformer's
choices do not cost a convnet its accuracy while they change where its compute goes.
Try more epochs, other seeds, or `kernel=5`.

The last step, drawn by `convnets.viz.diagram` from the code:""", """\
## Como ler

Observe as colunas de custo com tanta atenção quanto a acurácia. O stem patchify divide as
multiplicações-acumulações por cerca de quatro (toda camada seguinte vê um quarto dos
pixels); o passo depthwise as corta de novo, e o artigo gasta essa economia em largura; o
gargalo invertido a gasta de volta. No ImageNet cada passo mudou a top-1 de uma fração de
ponto a um ponto (de 78,8% da ResNet-50 a 82,0% da ConvNeXt-T com a mesma receita); com
poucos milhares de imagens pequenas, poucas épocas e uma semente, as diferenças entre passos
vizinhos ficam dentro do ruído, e os mapas de baixa resolução de uma imagem 32x32 não
precisam de um kernel 7x7 como um mapa 56x56 precisa. O que o roteiro mostra neste tamanho
é que as escolhas de um transformer não custam acurácia a uma rede convolucional, enquanto
mudam onde ela gasta sua computação. Experimente mais épocas, outras sementes ou `kernel=5`.

O último passo, desenhado por `convnets.viz.diagram` a partir do código:"""),
        code(DRAW),
    ]
