"""Notebook 08, "what the ops compute": convolution, its stride, padding, dilation and groups, pooling,
and their gradients, each written in NumPy and checked against TensorFlow; then why two 3x3
convolutions replace one 5x5 (VGG, Sec. 2.3). Nothing is trained: it runs in seconds.

``nb_ops()`` returns the cells (``nbcells.md``/``code``); ``scripts/notebooks.py`` writes the notebook.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from nbcells import SETUP, code, intro, md


def nb_ops() -> list:
    return [
        intro(
            """\
# 08: What the ops compute

Every network in this zoo is built from a handful of `tf.nn` ops: `conv2d`,
`max_pool2d`, `avg_pool2d`. This notebook opens them up. Each op is written
again in plain NumPy and checked against TensorFlow number for number, and so
are its gradients, the part `tf.GradientTape` usually hides:

1. a convolution three ways: loops, im2col + one matrix product, `tf.nn.conv2d`;
2. stride, padding, dilation and groups on a 5x5 example;
3. max and average pooling, and where their gradients go;
4. a convolution's backward pass, by hand;
5. why two stacked 3x3 convolutions see what one 5x5 sees, with fewer weights.

Nothing is trained; the whole notebook runs in seconds. Every check prints the
largest difference and stops the notebook if the two sides disagree. The only
data is one MNIST test digit, for a picture.""",
            """\
# 08: O que as operações calculam

Toda rede deste zoo de modelos é feita de um punhado de operações `tf.nn`: `conv2d`,
`max_pool2d`, `avg_pool2d`. Este notebook abre cada uma delas. Reescrevemos
cada operação em NumPy puro e a comparamos com o TensorFlow, número a número,
e fazemos o mesmo com os gradientes, a parte que o `tf.GradientTape`
normalmente esconde:

1. uma convolução de três jeitos: laços, im2col + um único produto de matrizes, `tf.nn.conv2d`;
2. passo (stride), preenchimento (padding), dilatação e grupos num exemplo 5x5;
3. max pooling e average pooling, e para onde vão os seus gradientes;
4. a retropropagação de uma convolução, feita à mão;
5. por que duas convoluções 3x3 empilhadas enxergam o mesmo que uma 5x5, com menos pesos.

Nada é treinado; o notebook inteiro roda em segundos. Cada verificação mostra a
maior diferença encontrada e interrompe o notebook se os dois lados
discordarem. O único dado usado é um dígito de teste do MNIST, para uma figura.""",
        ),
        code(SETUP),
        md(
            """\
We compute in float64, so the checks can be tight (differences of about 1e-15):
TensorFlow's CPU kernels run in float64 too. `check` prints the largest
difference and fails on a real one; `tape_grad` asks TensorFlow for the
gradient of `L = sum(f(x) * g)`, which is the backward pass of `f` applied
to an output gradient `g`.""",
            """\
Calculamos em float64 para que as verificações possam ser rigorosas (diferenças
da ordem de 1e-15): os kernels de CPU do TensorFlow também rodam em float64.
`check` mostra a maior diferença e falha se houver uma de verdade; `tape_grad`
pede ao TensorFlow o gradiente de `L = sum(f(x) * g)`, que é a retropropagação
de `f` aplicada a um gradiente de saída `g`.""",
        ),
        code(
            """\
def check(what, ours, reference, rtol=1e-10, atol=1e-12):
    \"\"\"Print the largest difference between two arrays; fail the notebook if they differ.\"\"\"
    ours, reference = np.asarray(ours, np.float64), np.asarray(reference, np.float64)
    assert ours.shape == reference.shape, f"{what}: shapes {ours.shape} and {reference.shape}"
    print(f"{what:62s} max |difference| = {float(np.max(np.abs(ours - reference))):.1e}")
    np.testing.assert_allclose(ours, reference, rtol=rtol, atol=atol)

def tape_grad(f, x, g):
    \"\"\"dL/dx for L = sum(f(x) * g), by tf.GradientTape.\"\"\"
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(f(x) * g)
    return tape.gradient(loss, x).numpy()

rng = np.random.default_rng(0)
def randn(*shape):
    return rng.standard_normal(shape)"""
        ),
        md(
            r"""## 1. A convolution, three ways

A convolution layer takes an input $x$ of shape (N, H, W, C_in) (NHWC, TensorFlow's
layout) and a kernel $w$ of shape (k_h, k_w, C_in, C_out) (HWIO). With stride 1 and
no padding ('valid') it computes

$$y_{n,i,j,o} = \sum_{a,b,c} x_{n,\,i+a,\,j+b,\,c}\; w_{a,b,c,o}$$

an output of (H - k_h + 1) x (W - k_w + 1): each output number is a window of the
input times the kernel, summed. Three ways to compute it:

* **loops**: one output number at a time, exactly the formula;
* **im2col**: copy every k_h x k_w x C_in window into one row of a matrix; the
  kernel, flattened, is a (k_h k_w C_in) x C_out matrix; *one* matrix product then
  gives every output at once. This is how Caffe lowered convolutions onto fast
  matrix-multiply routines, at the price of copying each pixel up to k_h k_w times;
* **`tf.nn.conv2d`**.""",
            r"""## 1. Uma convolução, de três jeitos

Uma camada de convolução recebe uma entrada $x$ de formato (N, H, W, C_in) (NHWC, o
layout do TensorFlow) e um kernel $w$ de formato (k_h, k_w, C_in, C_out) (HWIO). Com
passo 1 e sem preenchimento ('valid'), ela calcula

$$y_{n,i,j,o} = \sum_{a,b,c} x_{n,\,i+a,\,j+b,\,c}\; w_{a,b,c,o}$$

uma saída de (H - k_h + 1) x (W - k_w + 1): cada número da saída é uma janela da
entrada multiplicada pelo kernel, e depois somada. Três jeitos de calcular isso:

* **laços**: um número da saída por vez, exatamente como na fórmula;
* **im2col**: copiamos cada janela k_h x k_w x C_in para uma linha de uma matriz; o
  kernel, achatado, vira uma matriz (k_h k_w C_in) x C_out; *um único* produto de
  matrizes dá então todas as saídas de uma vez. Era assim que o Caffe transformava
  convoluções em multiplicações de matrizes rápidas, ao custo de copiar cada pixel
  até k_h k_w vezes;
* **`tf.nn.conv2d`**.""",
        ),
        code(
            """\
def conv2d_loops(x, w):
    \"\"\"Stride 1, 'valid': one output number at a time.\"\"\"
    n, h, wd, c_in = x.shape
    kh, kw, _, c_out = w.shape
    y = np.zeros((n, h - kh + 1, wd - kw + 1, c_out))
    for b in range(n):
        for i in range(h - kh + 1):
            for j in range(wd - kw + 1):
                for o in range(c_out):
                    y[b, i, j, o] = np.sum(x[b, i:i + kh, j:j + kw, :] * w[:, :, :, o])  # window x kernel
    return y

def im2col(x, kh, kw):
    \"\"\"Every kh x kw x C window of x as one row: a (N * out_h * out_w, kh * kw * C) matrix.\"\"\"
    n, h, wd, c = x.shape
    oh, ow = h - kh + 1, wd - kw + 1
    cols = np.empty((n, oh, ow, kh, kw, c))
    for a in range(kh):
        for b in range(kw):
            cols[:, :, :, a, b, :] = x[:, a:a + oh, b:b + ow, :]
    return cols.reshape(n * oh * ow, kh * kw * c)

def conv2d_im2col(x, w):
    \"\"\"Stride 1, 'valid': all outputs from one matrix product.\"\"\"
    kh, kw, c_in, c_out = w.shape
    n, h, wd, _ = x.shape
    y = im2col(x, kh, kw) @ w.reshape(kh * kw * c_in, c_out)  # HWIO flattens in the rows' (a, b, c) order
    return y.reshape(n, h - kh + 1, wd - kw + 1, c_out)

x, w = randn(2, 7, 6, 3), randn(3, 3, 3, 4)
y_tf = tf.nn.conv2d(x, w, strides=1, padding="VALID").numpy()
print("x", x.shape, "* w", w.shape, "-> y", y_tf.shape)
print("im2col:", im2col(x, 3, 3).shape, "@", w.reshape(-1, 4).shape, "= one row per output pixel")
check("loops vs tf.nn.conv2d", conv2d_loops(x, w), y_tf)
check("im2col + one matrix product vs tf.nn.conv2d", conv2d_im2col(x, w), y_tf)"""
        ),
        md(
            """\
**Cross-correlation, not convolution.** The formula slides the kernel over the
input *as it is*. The convolution of signal processing flips it first:
`(x * w)[i] = sum_a x[i - a] w[a]`. Deep learning kept the name of the second
and computes the first. Nothing is lost: the kernel is learned, so a network
built on true convolutions would simply learn the flipped weights. NumPy has
both in 1-D, which makes the difference easy to see.""",
            """\
**Correlação cruzada, e não convolução.** A fórmula desliza o kernel sobre a
entrada *do jeito que ele está*. A convolução do processamento de sinais o
inverte antes: `(x * w)[i] = sum_a x[i - a] w[a]`. O aprendizado profundo
ficou com o nome da segunda e calcula a primeira. Não se perde nada: o kernel
é aprendido, então uma rede feita de convoluções de verdade simplesmente
aprenderia os pesos invertidos. O NumPy tem as duas em 1-D, o que deixa a
diferença fácil de ver.""",
        ),
        code(
            """\
signal, kernel = np.array([0., 1, 2, 3, 4, 5]), np.array([1., 0, -1])
conv1d = tf.nn.conv1d(signal[None, :, None], kernel[:, None, None], stride=1, padding="VALID").numpy().ravel()
print("np.correlate:", np.correlate(signal, kernel, "valid"))
print("np.convolve: ", np.convolve(signal, kernel, "valid"))
print("tf.nn.conv1d:", conv1d)
check("tf.nn.conv1d = np.correlate", conv1d, np.correlate(signal, kernel, "valid"))
check("np.convolve = np.correlate with the flipped kernel",
      np.convolve(signal, kernel, "valid"), np.correlate(signal, kernel[::-1], "valid"))
w_asym = randn(3, 3, 3, 4)
flipped = tf.nn.conv2d(x, w_asym[::-1, ::-1], strides=1, padding="VALID").numpy()
print("2-D, an unsymmetric kernel: flipping it changes the output by up to",
      f"{float(np.max(np.abs(flipped - conv2d_loops(x, w_asym)))):.2f}")
assert not np.allclose(flipped, conv2d_loops(x, w_asym))"""
        ),
        md(
            """\
On an image: two 3x3 Sobel kernels in one HWIO kernel (1 input channel, 2
outputs) pick out the strokes' left-right and up-down changes; the sign says
on which side of the stroke the pixel is.""",
            """\
Numa imagem: dois kernels de Sobel 3x3 num único kernel HWIO (1 canal de
entrada, 2 de saída) destacam as variações horizontais e verticais dos traços;
o sinal diz de que lado do traço o pixel está.""",
        ),
        code(
            """\
digit = load_dataset("mnist").test.images[0, :, :, 0] / 255.0    # the first test digit, 28x28
sobel = np.array([[1., 0, -1], [2, 0, -2], [1, 0, -1]])           # responds to left-right changes
kernels = np.stack([sobel, sobel.T], axis=-1)[:, :, None, :]       # HWIO (3, 3, 1, 2)
edges = conv2d_im2col(digit[None, :, :, None], kernels)[0]
check("the digit: im2col vs tf.nn.conv2d", edges, tf.nn.conv2d(digit[None, :, :, None], kernels, 1, "VALID")[0])
fig, axes = plt.subplots(1, 3, figsize=(7.5, 2.7))
axes[0].imshow(digit, cmap="gray"); axes[0].set_title("input 28x28", fontsize=9)
for ax, k, title in zip(axes[1:], (0, 1), ("left-right changes 26x26", "up-down changes 26x26")):
    m = float(np.abs(edges).max())
    ax.imshow(edges[..., k], cmap="RdBu_r", vmin=-m, vmax=m); ax.set_title(title, fontsize=9)
for ax in axes: ax.axis("off")"""
        ),
        md(
            """\
## 2. Stride, padding, dilation, groups

Along one axis, an input of n pixels, a kernel of k, stride s, p pixels of
padding on each side and dilation d give

    out = floor((n + 2p - d(k - 1) - 1) / s) + 1

where `d(k - 1) + 1` is the span the dilated kernel covers. The examples use a
5x5 input holding 1..25 and a 3x3 kernel of ones, so each output is the sum of
its window and can be checked by eye.""",
            """\
Ao longo de um eixo, uma entrada de n pixels, um kernel de k, passo s, p pixels
de preenchimento de cada lado e dilatação d dão

    out = floor((n + 2p - d(k - 1) - 1) / s) + 1

onde `d(k - 1) + 1` é o trecho que o kernel dilatado cobre. Os exemplos usam uma
entrada 5x5 com os números 1..25 e um kernel 3x3 de uns, de modo que cada saída
é a soma da sua janela e dá para conferir de cabeça.""",
        ),
        code(
            """\
def out_size(n, k, s=1, p=0, d=1):
    \"\"\"Output length along one axis, with p pixels of padding on each side.\"\"\"
    return (n + 2 * p - d * (k - 1) - 1) // s + 1

def show(title, y):
    y = np.asarray(y)
    print(f"{title} -> {y.shape[1]}x{y.shape[2]}")
    print(y[0, :, :, 0].astype(int))

x5 = np.arange(1.0, 26.0).reshape(1, 5, 5, 1)   # 1..25, one channel
ones3 = np.ones((3, 3, 1, 1))                     # each output = the sum of its window
show("input", x5)"""
        ),
        md(
            """\
**Stride** s moves the window s pixels at a time: the same numbers as stride
1, keeping every s-th one.""",
            """\
O **passo** (stride) s move a janela s pixels de cada vez: são os mesmos
números do passo 1, guardando só um a cada s.""",
        ),
        code(
            """\
y1 = tf.nn.conv2d(x5, ones3, strides=1, padding="VALID").numpy()
y2 = tf.nn.conv2d(x5, ones3, strides=2, padding="VALID").numpy()
show("stride 1, valid", y1)
show("stride 2, valid", y2)
check("stride 2 = stride 1, every other output", y2, y1[:, ::2, ::2])
for s in (1, 2, 3):
    got = tf.nn.conv2d(x5, ones3, strides=s, padding="VALID").shape[1]
    print(f"n=5, k=3, stride {s}: formula {out_size(5, 3, s)}, tf.nn.conv2d {got}")
    assert got == out_size(5, 3, s)"""
        ),
        md(
            """\
**Padding** adds zeros around the input. 'valid' adds none; an explicit p adds
p on every side (the papers' and PyTorch's way of writing it); 'same' pads so
that the output is `ceil(n / s)`, which for a 3x3 kernel at stride 1 is p = 1.""",
            """\
O **preenchimento** (padding) acrescenta zeros em volta da entrada. 'valid' não
acrescenta nada; um p explícito acrescenta p de cada lado (como os artigos e o
PyTorch escrevem); 'same' preenche de modo que a saída tenha `ceil(n / s)`, o
que, para um kernel 3x3 com passo 1, é p = 1.""",
        ),
        code(
            """\
p1 = [[0, 0], [1, 1], [1, 1], [0, 0]]             # explicit: 1 on every side of H and W
y_p1 = tf.nn.conv2d(x5, ones3, strides=1, padding=p1).numpy()
show("padding 1 on every side", y_p1)
check("explicit padding = np.pad, then 'valid'", y_p1, conv2d_loops(np.pad(x5, p1), ones3))
check("'same' (3x3, stride 1) = padding 1", tf.nn.conv2d(x5, ones3, 1, "SAME"), y_p1)
for s, p in ((1, 1), (2, 1), (2, 2)):
    got = tf.nn.conv2d(x5, ones3, strides=s, padding=[[0, 0], [p, p], [p, p], [0, 0]]).shape[1]
    print(f"n=5, k=3, stride {s}, padding {p}: formula {out_size(5, 3, s, p)}, tf.nn.conv2d {got}")
    assert got == out_size(5, 3, s, p)"""
        ),
        md(
            """\
When 'same' needs an odd number of padding pixels (an even kernel, or a stride
that does not divide evenly), TensorFlow puts the extra one at the **bottom and
right**. A 2x2 kernel at stride 1 needs one pixel in total: TF's 'same' pads
nothing at the top/left and one row/column at the bottom/right. The same goes
for a 3x3 kernel at stride 2 on an even map (224 -> 112 in most ImageNet
networks), while the papers' (and PyTorch's) padding 1 pads both sides: the same
output size, shifted by a pixel. That is why convnets' layers also accept an
integer padding, for weights ported from PyTorch.""",
            """\
Quando o 'same' precisa de um número ímpar de pixels de preenchimento (um
kernel de tamanho par, ou um passo que não divide certinho), o TensorFlow põe o
pixel extra **embaixo e à direita**. Um kernel 2x2 com passo 1 precisa de um
pixel no total: o 'same' do TF não preenche nada em cima/à esquerda e põe uma
linha/coluna embaixo/à direita. O mesmo vale para um kernel 3x3 com passo 2
num mapa de tamanho par (224 -> 112 na maioria das redes de ImageNet), enquanto
o preenchimento 1 dos artigos (e do PyTorch) preenche os dois lados: a mesma
saída em tamanho, deslocada de um pixel. É por isso que as camadas do convnets
também aceitam um preenchimento inteiro, para pesos vindos do PyTorch.""",
        ),
        code(
            """\
ones2 = np.ones((2, 2, 1, 1))
same = tf.nn.conv2d(x5, ones2, 1, "SAME").numpy()
after = tf.nn.conv2d(x5, ones2, 1, [[0, 0], [0, 1], [0, 1], [0, 0]]).numpy()
before = tf.nn.conv2d(x5, ones2, 1, [[0, 0], [1, 0], [1, 0], [0, 0]]).numpy()
show("2x2 kernel, 'same' (the last row and column see the zero padding)", same)
check("'same' = 1 row/column of zeros at the bottom/right", same, after)
assert not np.allclose(same, before)

def same_pads(n, k, s, d=1):
    \"\"\"TensorFlow's 'same': output ceil(n / s); the padding it needs, the odd pixel after.\"\"\"
    total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2

for n, k, s in ((5, 2, 1), (5, 3, 1), (6, 3, 2), (224, 3, 2), (7, 4, 1)):
    top, bottom = same_pads(n, k, s)
    xr, wr = randn(1, n, n, 1), randn(k, k, 1, 1)
    explicit = tf.nn.conv2d(xr, wr, s, [[0, 0], [top, bottom], [top, bottom], [0, 0]])
    check(f"n={n}, k={k}, s={s}: 'same' pads top {top}, bottom {bottom}", tf.nn.conv2d(xr, wr, s, "SAME"), explicit)"""
        ),
        md(
            """\
**Dilation** d spreads the kernel's taps d pixels apart: a 3x3 kernel with
d = 2 covers a 5x5 window with 9 weights (the "à trous" convolution of
DeepLab). It is the same as a 5x5 kernel with zeros between the taps.""",
            """\
A **dilatação** d espaça os pontos do kernel de d em d pixels: um kernel 3x3
com d = 2 cobre uma janela 5x5 com 9 pesos (a convolução "à trous" do
DeepLab). É o mesmo que um kernel 5x5 com zeros entre os pontos.""",
        ),
        code(
            """\
y_d = tf.nn.conv2d(x5, ones3, strides=1, padding="VALID", dilations=2).numpy()
show("3x3 kernel, dilation 2: 1+3+5 + 11+13+15 + 21+23+25", y_d)
assert y_d.shape[1] == out_size(5, 3, d=2) == 1 and int(y_d[0, 0, 0, 0]) == 117
xr, w3 = randn(1, 9, 9, 2), randn(3, 3, 2, 3)
w5 = np.zeros((5, 5, 2, 3))
w5[::2, ::2] = w3                                  # the 3x3 taps, zeros between them
check("dilation 2 = a 5x5 kernel with holes", tf.nn.conv2d(xr, w3, 1, "VALID", dilations=2), conv2d_loops(xr, w5))
got = tf.nn.conv2d(xr, w3, 1, "VALID", dilations=2).shape[1]
print(f"n=9, k=3, d=2: formula {out_size(9, 3, d=2)}, tf.nn.conv2d {got}")
assert got == out_size(9, 3, d=2)"""
        ),
        md(
            """\
**Groups** split the channels: with g groups, the first C_in/g input channels
feed only the first C_out/g outputs, and so on. Each filter sees C_in/g
channels, so the kernel is (k, k, C_in/g, C_out) and the weights and
multiply-adds drop g times (AlexNet's two GPU towers, ResNeXt's cardinality).
`groups = C_in = C_out` is a **depthwise** convolution: every channel filtered on
its own (MobileNet, notebook 04). Below, convnets' `Conv2D` with groups against
separate convolutions on channel slices (its weights are float32, so the check
is to float32 precision).""",
            """\
Os **grupos** dividem os canais: com g grupos, os primeiros C_in/g canais de
entrada alimentam só as primeiras C_out/g saídas, e assim por diante. Cada
filtro enxerga C_in/g canais, então o kernel é (k, k, C_in/g, C_out) e os pesos
e as multiplicações-somas caem g vezes (as duas torres de GPU da AlexNet, a
cardinalidade da ResNeXt). `groups = C_in = C_out` é uma convolução **depthwise**
(em profundidade): cada canal filtrado sozinho (MobileNet, notebook 04). Abaixo,
o `Conv2D` do convnets com grupos comparado a convoluções separadas em fatias
de canais (os pesos dele são float32, então a comparação vale até a precisão
do float32).""",
        ),
        code(
            """\
from convnets.layers import Conv2D
x4 = tf.constant(randn(1, 5, 5, 4), tf.float32)
grouped = Conv2D(4, 6, 3, groups=2, use_bias=False)
w = grouped.w.numpy().astype(np.float64)          # HWIO (3, 3, 2, 6): each filter sees 4 / 2 channels
dense = Conv2D(4, 6, 3, use_bias=False)
print(f"kernel {w.shape}: {grouped.trainable_params} weights, {grouped.macs((5, 5, 4))} MACs; "
      f"groups=1: {dense.trainable_params} weights, {dense.macs((5, 5, 4))} MACs")
xs = x4.numpy().astype(np.float64)
halves = [conv2d_im2col(xs[..., 2 * g:2 * g + 2], w[..., 3 * g:3 * g + 3]) for g in range(2)]
check("groups=2 = 2 convolutions on channel halves, concatenated", grouped(x4), np.concatenate(halves, -1),
      rtol=1e-5, atol=1e-6)

depthwise = Conv2D(4, 4, 3, groups=4, use_bias=False)   # HWIO (3, 3, 1, 4): one 3x3 filter per channel
wd = depthwise.w.numpy().astype(np.float64)
per_channel = [conv2d_im2col(xs[..., c:c + 1], wd[..., c:c + 1]) for c in range(4)]
check("groups=4 = each channel on its own", depthwise(x4), np.concatenate(per_channel, -1), rtol=1e-5, atol=1e-6)
check("groups=4 = tf.nn.depthwise_conv2d", depthwise(x4),
      tf.nn.depthwise_conv2d(xs, wd.transpose(0, 1, 3, 2), strides=(1, 1, 1, 1), padding="VALID"),
      rtol=1e-5, atol=1e-6)"""
        ),
        md(
            """\
## 3. Pooling and its gradient

Max pooling keeps the largest value of each window. Its gradient follows from
that: the output *is* one of the inputs, so `dL/dx` is the output's gradient at
the winner's position and zero at the other positions of the window. The rest
of the window had no effect on the output, so it gets no gradient. Average
pooling depends on every input equally: it spreads each gradient evenly, 1/k^2
to each. Here a 4x4 input, 2x2 windows, stride 2, and an output gradient with
four different values so that you can see where each one goes.""",
            """\
O max pooling guarda o maior valor de cada janela. O gradiente vem daí: a saída
*é* uma das entradas, então `dL/dx` recebe o gradiente da saída na posição da
vencedora e zero nas outras posições da janela. O resto da janela não teve
efeito na saída, então não recebe gradiente. O average pooling depende de todas
as entradas por igual: espalha cada gradiente uniformemente, 1/k^2 para cada
uma. Aqui, uma entrada 4x4, janelas 2x2, passo 2, e um gradiente de saída com
quatro valores diferentes para dar para ver para onde vai cada um.""",
        ),
        code(
            """\
def pool_np(x, k, s, reduce):
    n, h, wd, c = x.shape
    y = np.empty((n, (h - k) // s + 1, (wd - k) // s + 1, c))
    for i in range(y.shape[1]):
        for j in range(y.shape[2]):
            y[:, i, j, :] = reduce(x[:, i * s:i * s + k, j * s:j * s + k, :], axis=(1, 2))
    return y

def max_pool_grad_np(x, g, k, s):
    \"\"\"dL/dx: each output's gradient goes to the input that won its window, nowhere else.\"\"\"
    dx = np.zeros_like(x)
    for b, i, j, c in np.ndindex(*g.shape):
        window = x[b, i * s:i * s + k, j * s:j * s + k, c]
        a, bb = np.unravel_index(np.argmax(window), window.shape)
        dx[b, i * s + a, j * s + bb, c] += g[b, i, j, c]      # +=: overlapping windows add up
    return dx

def avg_pool_grad_np(x, g, k, s):
    \"\"\"dL/dx: each output's gradient shared equally by the k*k inputs of its window.\"\"\"
    dx = np.zeros_like(x)
    for b, i, j, c in np.ndindex(*g.shape):
        dx[b, i * s:i * s + k, j * s:j * s + k, c] += g[b, i, j, c] / k**2
    return dx

xp = np.array([[1., 3, 2, 0], [5, 4, 1, 7], [0, 2, 9, 6], [8, 1, 3, 4]]).reshape(1, 4, 4, 1)
g = np.array([[10., 20], [30, 40]]).reshape(1, 2, 2, 1)   # dL/d(output)
# tf.constant: given a float64 NumPy array, tf.nn.max_pool2d may compute in float32 (TF 2.21 does from its
# second call on); a float64 tensor stays float64
max_out = tf.nn.max_pool2d(tf.constant(xp), 2, 2, "VALID").numpy()
dx_max = tape_grad(lambda t: tf.nn.max_pool2d(t, 2, 2, "VALID"), xp, g)
dx_avg = tape_grad(lambda t: tf.nn.avg_pool2d(t, 2, 2, "VALID"), xp, g)
print("input:"); print(xp[0, :, :, 0])
print("max pool 2x2/2:"); print(max_out[0, :, :, 0])
print("output gradient g:"); print(g[0, :, :, 0])
print("dL/dx through max pooling (g at each window's maximum):"); print(dx_max[0, :, :, 0])
print("dL/dx through average pooling (g / 4 everywhere):"); print(dx_avg[0, :, :, 0])
check("max pool forward: NumPy vs tf.nn.max_pool2d", pool_np(xp, 2, 2, np.max), max_out)
check("max pool gradient: NumPy vs GradientTape", max_pool_grad_np(xp, g, 2, 2), dx_max)
check("avg pool gradient: NumPy vs GradientTape", avg_pool_grad_np(xp, g, 2, 2), dx_avg)
assert np.count_nonzero(dx_max) == 4 and np.count_nonzero(dx_avg) == 16"""
        ),
        md(
            """\
The same holds for AlexNet's overlapping pooling (3x3 windows, stride 2): an
input that wins two windows collects both gradients. On random inputs (no ties):""",
            """\
O mesmo vale para o pooling com sobreposição da AlexNet (janelas 3x3, passo 2):
uma entrada que vence duas janelas acumula os dois gradientes. Com entradas
aleatórias (sem empates):""",
        ),
        code(
            """\
xr = randn(2, 7, 7, 3)
gr = randn(2, 3, 3, 3)
check("3x3/2 max pool forward", pool_np(xr, 3, 2, np.max), tf.nn.max_pool2d(tf.constant(xr), 3, 2, "VALID"))
check("3x3/2 max pool gradient", max_pool_grad_np(xr, gr, 3, 2),
      tape_grad(lambda t: tf.nn.max_pool2d(t, 3, 2, "VALID"), xr, gr))
check("3x3/2 avg pool forward", pool_np(xr, 3, 2, np.mean), tf.nn.avg_pool2d(tf.constant(xr), 3, 2, "VALID"))
check("3x3/2 avg pool gradient", avg_pool_grad_np(xr, gr, 3, 2),
      tape_grad(lambda t: tf.nn.avg_pool2d(t, 3, 2, "VALID"), xr, gr))

fig, axes = plt.subplots(1, 4, figsize=(9, 2.5))
for ax, img, title in zip(axes, (xp, max_out, dx_max, dx_avg),
                          ("input", "max pool 2x2/2", "gradient via max", "gradient via average")):
    ax.imshow(img[0, :, :, 0], cmap="viridis"); ax.set_title(title, fontsize=9); ax.set_xticks([]); ax.set_yticks([])
    for (i, j), v in np.ndenumerate(img[0, :, :, 0]):
        ax.text(j, i, f"{v:g}", ha="center", va="center", color="k" if v > 0.7 * img.max() else "w", fontsize=8)"""
        ),
        md(
            r"""## 4. A convolution's backward pass, by hand

With $y_{n,i,j,o} = \sum_{a,b,c} x_{n,i+a,j+b,c}\, w_{a,b,c,o}$ and an output gradient
$g = \partial L / \partial y$, the chain rule gives two sums:

$$\frac{\partial L}{\partial w_{a,b,c,o}} = \sum_{n,i,j} x_{n,\,i+a,\,j+b,\,c}\; g_{n,i,j,o}
\qquad
\frac{\partial L}{\partial x_{n,p,q,c}} = \sum_{a,b,o} g_{n,\,p-a,\,q-b,\,o}\; w_{a,b,c,o}$$

* **dL/dw** is again a correlation: the input correlated with the output
  gradient, which plays the kernel. The batch is summed over the way input
  channels are in the forward pass, so swapping the batch and channel axes lets
  `conv2d_im2col` compute it as it is.
* **dL/dx** has `p - a`: a *true* convolution of g with w. As a correlation, it
  is g padded with k - 1 zeros on every side (a "full" convolution) correlated
  with the kernel flipped in both spatial axes, its input and output channels
  swapped. That is what `tf.nn.conv2d_transpose` computes.

We check both against `tf.GradientTape` for `L = sum(conv2d(x, w) * r)`, whose
output gradient is `r`.""",
            r"""## 4. A retropropagação de uma convolução, feita à mão

Com $y_{n,i,j,o} = \sum_{a,b,c} x_{n,i+a,j+b,c}\, w_{a,b,c,o}$ e um gradiente de saída
$g = \partial L / \partial y$, a regra da cadeia dá duas somas:

$$\frac{\partial L}{\partial w_{a,b,c,o}} = \sum_{n,i,j} x_{n,\,i+a,\,j+b,\,c}\; g_{n,i,j,o}
\qquad
\frac{\partial L}{\partial x_{n,p,q,c}} = \sum_{a,b,o} g_{n,\,p-a,\,q-b,\,o}\; w_{a,b,c,o}$$

* **dL/dw** é de novo uma correlação: a entrada correlacionada com o gradiente
  da saída, que faz o papel de kernel. O lote é somado do jeito que os canais
  de entrada são somados na passagem direta, então basta trocar os eixos de
  lote e de canais para que `conv2d_im2col` o calcule sem mudar nada.
* **dL/dx** tem `p - a`: uma convolução *de verdade* de g com w. Como correlação,
  é g preenchido com k - 1 zeros de cada lado (uma convolução "full")
  correlacionado com o kernel invertido nos dois eixos espaciais, com os canais
  de entrada e de saída trocados. É isso que `tf.nn.conv2d_transpose` calcula.

Conferimos os dois com o `tf.GradientTape` para `L = sum(conv2d(x, w) * r)`,
cujo gradiente de saída é `r`.""",
        ),
        code(
            """\
x, w = randn(2, 7, 6, 3), randn(3, 3, 3, 4)
r = randn(2, 5, 4, 4)                                  # L = sum(y * r), so dL/dy = r
xt, wt = tf.constant(x), tf.constant(w)
with tf.GradientTape() as tape:
    tape.watch([xt, wt])
    loss = tf.reduce_sum(tf.nn.conv2d(xt, wt, strides=1, padding="VALID") * r)
dx_tf, dw_tf = [t.numpy() for t in tape.gradient(loss, [xt, wt])]

def conv2d_grads(x, w, g):
    kh, kw = w.shape[:2]
    # dL/dw: batch and channels swapped, then the forward correlation: (C_in, kh, kw, C_out) -> HWIO
    dw = conv2d_im2col(x.transpose(3, 1, 2, 0), g.transpose(1, 2, 0, 3)).transpose(1, 2, 0, 3)
    # dL/dx: g padded by k - 1 ("full"), correlated with the flipped kernel, in/out channels swapped
    g_full = np.pad(g, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0)))
    dx = conv2d_im2col(g_full, w[::-1, ::-1].transpose(0, 1, 3, 2))
    return dx, dw

dx, dw = conv2d_grads(x, w, r)
print("dL/dx", dx.shape, " dL/dw", dw.shape)
check("dL/dw by hand vs GradientTape", dw, dw_tf)
check("dL/dx by hand vs GradientTape", dx, dx_tf)
check("dL/dx = tf.nn.conv2d_transpose(g, w)",
      tf.nn.conv2d_transpose(r, w, output_shape=x.shape, strides=1, padding="VALID"), dx_tf)"""
        ),
        md(
            """\
With stride s the forward pass skips outputs, so the backward pass puts them
back as zeros: spread g out with s - 1 zeros between its entries, then use the
same two formulas. (This is why a transposed convolution with stride s
*upsamples*.)""",
            """\
Com passo s, a passagem direta pula saídas; a retropropagação as devolve como
zeros: espalhamos g com s - 1 zeros entre os seus elementos e usamos as mesmas
duas fórmulas. (É por isso que uma convolução transposta com passo s
*aumenta* a resolução.)""",
        ),
        code(
            """\
x, w = randn(2, 7, 7, 3), randn(3, 3, 3, 4)
r = randn(2, 3, 3, 4)                                   # stride 2: (7 - 3) / 2 + 1 = 3
xt, wt = tf.constant(x), tf.constant(w)
with tf.GradientTape() as tape:
    tape.watch([xt, wt])
    loss = tf.reduce_sum(tf.nn.conv2d(xt, wt, strides=2, padding="VALID") * r)
dx_tf, dw_tf = [t.numpy() for t in tape.gradient(loss, [xt, wt])]
r_spread = np.zeros((2, 5, 5, 4))
r_spread[:, ::2, ::2] = r                               # s - 1 = 1 zero between the entries
dx, dw = conv2d_grads(x, w, r_spread)
check("stride 2, dL/dw by hand vs GradientTape", dw, dw_tf)
check("stride 2, dL/dx by hand vs GradientTape", dx, dx_tf)"""
        ),
        md(
            """\
## 5. Two 3x3 convolutions see what one 5x5 sees

VGG (Simonyan & Zisserman 2014, Sec. 2.3) uses only 3x3 kernels: "a stack of
two 3x3 conv. layers (without spatial pooling in between) has an effective
receptive field of 5x5; three such layers have a 7x7 effective receptive
field". The receptive field of an output unit is the set of input pixels it
depends on, that is, where its gradient with respect to the input is not zero.
We differentiate the centre unit of each stack with respect to an 11x11 input
('same' padding keeps the centre in place; no nonlinearity, which could only
switch some paths off).""",
            """\
A VGG (Simonyan & Zisserman 2014, Seç. 2.3) usa só kernels 3x3: "uma pilha de
duas camadas conv. 3x3 (sem pooling espacial entre elas) tem um campo receptivo
efetivo de 5x5; três dessas camadas têm um campo receptivo efetivo de 7x7". O
campo receptivo de uma unidade de saída é o conjunto de pixels de entrada dos
quais ela depende, ou seja, onde o seu gradiente em relação à entrada não é
zero. Derivamos a unidade central de cada pilha em relação a uma entrada 11x11
(o preenchimento 'same' mantém o centro no lugar; sem não linearidade, que só
poderia desligar alguns caminhos).""",
        ),
        code(
            """\
C, n = 2, 11
x11 = tf.constant(randn(1, n, n, C), tf.float32)

def centre_gradient(layers, x=x11):
    \"\"\"|d y[centre] / d x|, summed over the input channels.\"\"\"
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x
        for layer in layers:
            y = layer(y)
        centre = y[0, n // 2, n // 2, 0]
    return np.abs(tape.gradient(centre, x).numpy()[0]).sum(-1)

def extent(grad):
    rows, cols = np.nonzero(grad)
    return f"{int(rows.max() - rows.min() + 1)}x{int(cols.max() - cols.min() + 1)}"

stacks = {"two 3x3": [Conv2D(C, C, 3, padding="same", use_bias=False) for _ in range(2)],
          "one 5x5": [Conv2D(C, C, 5, padding="same", use_bias=False)],
          "three 3x3": [Conv2D(C, C, 3, padding="same", use_bias=False) for _ in range(3)],
          "one 7x7": [Conv2D(C, C, 7, padding="same", use_bias=False)]}
fields = {name: centre_gradient(layers) for name, layers in stacks.items()}
for name, grad in fields.items():
    print(f"{name:10s} the centre unit depends on a {extent(grad)} window of the input")
assert extent(fields["two 3x3"]) == extent(fields["one 5x5"]) == "5x5"
assert extent(fields["three 3x3"]) == extent(fields["one 7x7"]) == "7x7"

fig, axes = plt.subplots(1, 4, figsize=(9, 2.5))
for ax, (name, grad) in zip(axes, fields.items()):
    ax.imshow(grad, cmap="magma"); ax.set_title(name, fontsize=9); ax.set_xticks([]); ax.set_yticks([])"""
        ),
        md(
            """\
The window is the same, the weighting is not: a pixel near the centre reaches
the centre unit along more paths than a corner pixel. With every weight set to
1 the gradient counts those paths: the outer product of `[1, 1, 1]` convolved
with itself, `[1, 2, 3, 2, 1]`, a pyramid, where the 5x5 kernel's is flat. Luo
et al. (2016) call this the *effective* receptive field, which fills only part
of the theoretical one.""",
            """\
A janela é a mesma, o peso de cada pixel não: um pixel perto do centro chega à
unidade central por mais caminhos que um pixel do canto. Com todos os pesos
iguais a 1, o gradiente conta esses caminhos: o produto externo de `[1, 1, 1]`
convolvido consigo mesmo, `[1, 2, 3, 2, 1]`, uma pirâmide, enquanto o do kernel
5x5 é plano. Luo et al. (2016) chamam isso de campo receptivo *efetivo*, que
ocupa só parte do teórico.""",
        ),
        code(
            """\
x1 = tf.constant(randn(1, n, n, 1), tf.float32)
pyramid = centre_gradient([Conv2D(1, 1, 3, padding="same", use_bias=False, w_init="ones") for _ in range(2)], x1)
paths = np.convolve([1, 1, 1], [1, 1, 1])
print("paths along one axis:", paths)
print(pyramid[3:8, 3:8].astype(int))
check("two 3x3 of ones: the gradient counts paths", pyramid[3:8, 3:8], np.outer(paths, paths))
check("... and is zero outside the 5x5 window", pyramid.sum(), np.outer(paths, paths).sum())"""
        ),
        md(
            """\
And the weights: with C channels in and out, two 3x3 layers hold
2 x 9 C^2 = 18 C^2 weights against 25 C^2 for one 5x5; three 3x3 layers hold
27 C^2 against 49 C^2 for one 7x7 ("81% more", the paper says), with a ReLU
between layers, so more nonlinearity as well. The multiply-adds on an H x W
map scale the same way.""",
            """\
E os pesos: com C canais de entrada e de saída, duas camadas 3x3 têm
2 x 9 C^2 = 18 C^2 pesos, contra 25 C^2 de uma 5x5; três camadas 3x3 têm 27 C^2,
contra 49 C^2 de uma 7x7 ("81% a mais", diz o artigo), com uma ReLU entre as
camadas, o que também dá mais não linearidade. As multiplicações-somas num mapa
H x W crescem na mesma proporção.""",
        ),
        code(
            """\
C, D = 64, 56
rows = []
for name, k, count, formula in (("two 3x3", 3, 2, 18), ("one 5x5", 5, 1, 25),
                                ("three 3x3", 3, 3, 27), ("one 7x7", 7, 1, 49)):
    layer = Conv2D(C, C, k, padding="same", use_bias=False)
    weights = count * layer.trainable_params
    assert weights == formula * C**2
    field = count * (k - 1) + 1                       # each 3x3 layer adds 2 pixels
    rows.append({"layers": name, "sees": f"{field}x{field}", "weights": weights, "formula": f"{formula} C^2",
                 f"MACs at {D}x{D} (M)": count * layer.macs((D, D, C)) / 1e6})
table = pd.DataFrame(rows)
print(f"C = {C}: two 3x3 use {rows[0]['weights'] / rows[1]['weights']:.0%} of the 5x5's weights, "
      f"three 3x3 {rows[2]['weights'] / rows[3]['weights']:.0%} of the 7x7's")
table.round(1)"""
        ),
        md(
            """\
In a whole network the fields grow layer by layer: a layer with kernel k adds
(k - 1) x jump pixels, where the jump is the product of the strides before it;
pooling multiplies the jump. `convnets.summarize(model, fields=True)` reads them
off the traced graph. Here the first layers of VGG-11 (configuration A), against
that rule.""",
            """\
Numa rede inteira, os campos crescem camada a camada: uma camada com kernel k
acrescenta (k - 1) x salto pixels, onde o salto (jump) é o produto dos passos
anteriores; o pooling multiplica o salto. `convnets.summarize(model, fields=True)`
os lê do grafo rastreado. Aqui, as primeiras camadas da VGG-11 (configuração A),
comparadas com essa regra.""",
        ),
        code(
            """\
with convnets.layers.init.zeros_only():
    vgg = convnets.create_model("vgg11")
s = convnets.summarize(vgg, fields=True, shapes_only=True)
rows, field, jump = [], 1, 1
for l in s["layers"][:12]:
    k, stride = (3, 1) if l["type"] == "Conv2D" else (2, 2)   # VGG: 3x3/1 convolutions, 2x2/2 max pooling
    field, jump = field + (k - 1) * jump, jump * stride
    assert l["receptive_field"] == [field, field] and l["jump"] == [jump, jump], l
    rows.append({"layer": l["name"], "output": "x".join(map(str, l["output_shape"])),
                 "receptive field": field, "jump": jump})
pd.DataFrame(rows)"""
        ),
        md(
            """\
## What to take away

* A convolution layer is a cross-correlation: windows times a kernel, summed;
  im2col turns it into one matrix product.
* Stride keeps every s-th output, padding adds zeros (TensorFlow's 'same' puts
  the odd one at the bottom/right), dilation spaces the kernel's taps, groups
  split the channels into independent convolutions.
* Max pooling's gradient goes to the winner of each window only; average
  pooling's is shared equally.
* A convolution's gradients are convolutions too: the input correlated with the
  output gradient for the weights, a full convolution with the flipped kernel
  for the input (a transposed convolution).
* Stacked 3x3 layers reach the field of a larger kernel with fewer weights,
  weighting its centre more.

Notebook 02 trains VGG's stacks against AlexNet's large kernels; notebook 04
puts depthwise convolutions to work in MobileNet.""",
            """\
## O que levar daqui

* Uma camada de convolução é uma correlação cruzada: janelas vezes um kernel,
  somadas; o im2col a transforma num único produto de matrizes.
* O passo guarda uma saída a cada s, o preenchimento acrescenta zeros (o 'same'
  do TensorFlow põe o pixel ímpar embaixo/à direita), a dilatação espaça os
  pontos do kernel, os grupos dividem os canais em convoluções independentes.
* O gradiente do max pooling vai só para a vencedora de cada janela; o do
  average pooling é dividido por igual.
* Os gradientes de uma convolução também são convoluções: a entrada
  correlacionada com o gradiente da saída, para os pesos; uma convolução "full"
  com o kernel invertido, para a entrada (uma convolução transposta).
* Camadas 3x3 empilhadas alcançam o campo de um kernel maior com menos pesos,
  dando mais peso ao centro.

O notebook 02 treina as pilhas da VGG contra os kernels grandes da AlexNet; o
notebook 04 põe as convoluções depthwise para trabalhar na MobileNet.""",
        ),
    ]
