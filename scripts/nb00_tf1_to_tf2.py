"""Notebook 00: from TensorFlow 1.x to 2. The same LeNet-5 written in the graph-and-session style of older
course material (``tf.compat.v1``) and in this project's style (``tf.Module``, ``tf.function``,
``tf.GradientTape``), trained side by side on the same MNIST batches from the same initial weights.

``nb_tf1_to_tf2()`` returns the cells (``nbcells.md``/``code``); ``scripts/notebooks.py`` writes them.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from nbcells import SETUP, code, intro, md

# The closing table: (TensorFlow 1.x, its TensorFlow 2 counterpart in English, in Portuguese), one row per idiom.
MAPPING = [
    ("`tf.compat.v1.disable_eager_execution()`, `with tf.Graph().as_default():`",
     "nothing: eager by default; `@tf.function` where you want a graph",
     "nada: eager por padrão; `@tf.function` onde você quiser um grafo"),
    ("`x = tf.compat.v1.placeholder(tf.float32, [None, 32, 32, 1])`",
     "a function argument: `def train_step(x, y)`, its shapes in "
     "`input_signature=[tf.TensorSpec([None, 32, 32, 1]), ...]`",
     "um argumento de função: `def train_step(x, y)`, com as formas em "
     "`input_signature=[tf.TensorSpec([None, 32, 32, 1]), ...]`"),
    ("`with tf.compat.v1.variable_scope(\"C1\"):` `tf.compat.v1.get_variable(\"w\", shape, initializer=...)`",
     "`tf.Variable(initial_value, name=\"w\")` held by a `tf.Module` (`convnets.layers.Conv2D`, ...)",
     "`tf.Variable(valor_inicial, name=\"w\")` guardada num `tf.Module` (`convnets.layers.Conv2D`, ...)"),
    ("`sess.run(tf.compat.v1.global_variables_initializer())`",
     "nothing: variables are initialised when they are created",
     "nada: as variáveis são inicializadas ao serem criadas"),
    ("`tf.compat.v1.set_random_seed(0)`",
     "`tf.random.set_seed(0)`, or a seeded `tf.random.Generator` (`convnets.layers.init.set_seed(0)`)",
     "`tf.random.set_seed(0)`, ou um `tf.random.Generator` com semente (`convnets.layers.init.set_seed(0)`)"),
    ("`train_op = tf.compat.v1.train.AdamOptimizer(1e-3).minimize(loss)`",
     "`with tf.GradientTape() as tape: loss = ...`, then `grads = tape.gradient(loss, variables)` "
     "and `optimizer.apply(grads, variables)`",
     "`with tf.GradientTape() as tape: loss = ...`, depois `grads = tape.gradient(loss, variables)` "
     "e `optimizer.apply(grads, variables)`"),
    ("`sess.run([loss, train_op], feed_dict={x: images, y: labels})`",
     "`loss = train_step(images, labels)`: calling a `tf.function`",
     "`loss = train_step(images, labels)`: chamar uma `tf.function`"),
    ("`sess.run(logits, feed_dict=...)`, `tensor.eval()`",
     "`net(x)`, and `.numpy()` for a NumPy array",
     "`net(x)`, e `.numpy()` para obter um array NumPy"),
    ("`sess.run(tf.compat.v1.assign(v, value))`",
     "`v.assign(value)`",
     "`v.assign(value)`"),
    ("`tf.compat.v1.train.Saver().save(sess, path)`, `saver.restore(sess, path)`",
     "`tf.train.Checkpoint(model=net, optimizer=opt).write(path)`, `.read(path)`",
     "`tf.train.Checkpoint(model=net, optimizer=opt).write(path)`, `.read(path)`"),
    ("`tf.compat.v1.summary.FileWriter(logdir, sess.graph)`, `tf.compat.v1.summary.scalar` + `writer.add_summary`",
     "`writer = tf.summary.create_file_writer(logdir)`, then "
     "`with writer.as_default(): tf.summary.scalar(\"loss\", loss, step=step)`",
     "`writer = tf.summary.create_file_writer(logdir)`, depois "
     "`with writer.as_default(): tf.summary.scalar(\"loss\", loss, step=step)`"),
    ("`sess.close()`", "nothing: there is no session", "nada: não há sessão"),
]


def mapping_table(lang: str) -> str:
    """MAPPING as a Markdown table, in English (``"en"``) or Portuguese (``"pt"``)."""
    head = {"en": ("TensorFlow 1.x (`tf.compat.v1` in TF 2)", "TensorFlow 2, as this project writes it"),
            "pt": ("TensorFlow 1.x (`tf.compat.v1` no TF 2)", "TensorFlow 2, como este projeto escreve")}[lang]
    rows = [head, ("---", "---")] + [(v1, en if lang == "en" else pt) for v1, en, pt in MAPPING]
    return "\n".join(f"| {a} | {b} |" for a, b in rows)


def nb_tf1_to_tf2() -> list:
    return [
        intro("""\
# 00: From TensorFlow 1.x to 2

Many courses, books and repositories written between 2016 and 2019 use
TensorFlow 1.x: first you *describe* a computation graph, with
placeholders where the data will go, then you *run* it in a `Session`.
TensorFlow 2 runs operations as soon as they are called (eager execution) and
builds a graph only where you ask for one, with `tf.function`. The rest of
these notebooks are written in the 2.x style.

Here we write the same LeNet-5 both ways, start them from the same weights,
feed them the same MNIST batches in the same order, and check that they learn
the same thing. The notebook ends with a line-by-line table for translating
1.x code.""",
              """\
# 00: Do TensorFlow 1.x ao 2

Muitos cursos, livros e repositórios escritos entre 2016 e 2019 usam o
TensorFlow 1.x: primeiro você *descreve* um grafo de computação, com
placeholders no lugar onde os dados vão entrar, e depois *executa* esse grafo numa
`Session`. O TensorFlow 2 executa cada operação assim que ela é chamada (execução
eager) e só monta um grafo onde você pede, com `tf.function`. Os demais notebooks
desta série usam o estilo 2.x.

Aqui escrevemos a mesma LeNet-5 dos dois jeitos, partimos dos mesmos pesos,
alimentamos as duas com os mesmos lotes do MNIST na mesma ordem e conferimos que
elas aprendem a mesma coisa. No final há uma tabela, linha a linha, para traduzir
código 1.x."""),
        code(SETUP),
        md("""\
## The network and the data

LeNet-5 (LeCun et al. 1998): C1 convolution 5x5 with 6 maps, S2 subsampling
2x2, C3 convolution 5x5 with 16 maps, S4 subsampling, C5 convolution 5x5 with
120 maps, F6 dense with 84 units, and 10 outputs. To keep the two versions
short we simplify it, the same way in both: S2 and S4 are plain 2x2 average
pooling (the paper's layers multiply the average by a learned coefficient and
add a learned bias), C3 sees all six S2 maps (the paper's Table I connects each
C3 map to only some of them), the activation is `tanh` (the paper's is
1.7159 tanh(2x/3)) and the output is a softmax (the paper's are RBF units).
Notebook 01 builds the first three as the paper does.

The 28x28 MNIST digits are centred in a 32x32 field, as in the paper; both
versions read the same `tf.data` batches.""",
           """\
## A rede e os dados

LeNet-5 (LeCun et al. 1998): C1, convolução 5x5 com 6 mapas; S2, subamostragem
2x2; C3, convolução 5x5 com 16 mapas; S4, subamostragem; C5, convolução 5x5 com
120 mapas; F6, camada densa com 84 unidades; e 10 saídas. Para manter as duas
versões curtas, simplificamos a rede, do mesmo jeito nas duas: S2 e S4 viram um
average pooling 2x2 simples (no artigo, a média é multiplicada por um coeficiente
aprendido e somada a um viés aprendido), C3 enxerga os seis mapas de S2 (no
artigo, a Tabela I liga cada mapa de C3 a apenas alguns deles), a ativação é
`tanh` (no artigo, 1.7159 tanh(2x/3)) e a saída é um softmax (no artigo, unidades
RBF). O notebook 01 monta as três primeiras como no artigo.

Os dígitos 28x28 do MNIST são centralizados num campo de 32x32, como no artigo;
as duas versões leem os mesmos lotes do `tf.data`."""),
        code("""\
from convnets.data.pipeline import PreprocessSpec, make_dataset

mnist = load_dataset("mnist")
if QUICK:
    mnist = mnist.subset(2000, 1000)
spec = PreprocessSpec.for_dataset(mnist, (32, 32, 1))   # 28x28 centred in 32x32, then normalised
BATCH = 64
test_data = make_dataset(mnist, "test", spec, 500)
print(f"{len(mnist.train):,} training images, {len(mnist.test):,} test images, batches of {BATCH}")"""),
        md("""\
## 2.x: a `tf.Module` holding `tf.Variable`s

We write the 2.x version first, because its initial weights will be copied into
the 1.x graph. A `tf.Variable` gets its value when it is created (here from
convnets' seeded generator, `convnets.layers.init`), and calling the module
computes right away: `net(x)` returns numbers, not a description of them.
`tf.Module` finds the variables in its attributes (`net.trainable_variables`)
for the gradient, the optimiser and the checkpoint. convnets' layers
(`convnets.layers.Conv2D`, `Dense`, ...) are the same few lines, packaged; here
we write them out so that each line has its 1.x counterpart.""",
           """\
## 2.x: um `tf.Module` com `tf.Variable`s

Escrevemos primeiro a versão 2.x, porque os pesos iniciais dela serão copiados
para o grafo 1.x. Uma `tf.Variable` recebe seu valor no momento em que é criada
(aqui, do gerador com semente do convnets, `convnets.layers.init`), e chamar o
módulo já faz a conta: `net(x)` devolve números, não uma descrição deles. O
`tf.Module` encontra as variáveis nos seus atributos (`net.trainable_variables`)
para o gradiente, o otimizador e o checkpoint. As camadas do convnets
(`convnets.layers.Conv2D`, `Dense`, ...) são essas mesmas poucas linhas,
empacotadas; aqui escrevemos tudo por extenso para que cada linha tenha sua
correspondente em 1.x."""),
        code("""\
glorot = convnets.layers.init.glorot_uniform   # seeded by set_seed(0) in the setup cell

def weights_and_bias(name, shape):
    \"\"\"A layer's kernel (Glorot-uniform) and bias (zeros), named as the 1.x graph will name its own.\"\"\"
    receptive = int(np.prod(shape[:-2]))          # 5x5 for a convolution, 1 for a dense layer
    fan_in, fan_out = receptive * shape[-2], receptive * shape[-1]
    return (tf.Variable(glorot(shape, fan_in, fan_out), name=f"{name}/w"),
            tf.Variable(tf.zeros(shape[-1:]), name=f"{name}/b"))

class LeNet5(tf.Module):
    def __init__(self):
        super().__init__(name="lenet5")
        self.C1 = weights_and_bias("C1", [5, 5, 1, 6])      # 6@28x28
        self.C3 = weights_and_bias("C3", [5, 5, 6, 16])     # 16@10x10, each sees all six S2 maps
        self.C5 = weights_and_bias("C5", [5, 5, 16, 120])   # 120@1x1
        self.F6 = weights_and_bias("F6", [120, 84])
        self.out = weights_and_bias("output", [84, 10])

    @staticmethod
    def conv(x, w_b):
        w, b = w_b
        return tf.nn.tanh(tf.nn.conv2d(x, w, strides=1, padding="VALID") + b)

    @staticmethod
    def pool(x):                                         # S2, S4: 2x2 average
        return tf.nn.avg_pool2d(x, ksize=2, strides=2, padding="VALID")

    def __call__(self, x):
        x = self.pool(self.conv(x, self.C1))             # 6@14x14
        x = self.pool(self.conv(x, self.C3))             # 16@5x5
        x = tf.reshape(self.conv(x, self.C5), [-1, 120])
        x = tf.nn.tanh(tf.matmul(x, self.F6[0]) + self.F6[1])
        return tf.matmul(x, self.out[0]) + self.out[1]   # logits; the softmax is in the loss

net = LeNet5()
for v in net.trainable_variables:
    print(f"{v.name:12s} {v.shape}")
print(f"{sum(int(np.prod(v.shape)) for v in net.trainable_variables):,} parameters")
x, y = next(iter(test_data))
print("net(x) is already a value:", np.round(net(x[:1]).numpy(), 2) + 0.0)   # + 0.0: no -0."""),
        md("""\
## 1.x: first a graph, then a session

In 1.x, nothing below computes anything. Each line adds nodes to a graph:
`placeholder`s are the holes the data will be fed into, `get_variable` declares
a variable and how it *will be* initialised, `tf.nn.conv2d` and the loss are
more nodes, and `AdamOptimizer(...).minimize(loss)` adds the gradient and the
update nodes and returns one op, `train_op`, that runs them. Printing `logits`
shows a symbolic tensor with no value.

Old scripts start with `tf.compat.v1.disable_eager_execution()` (or are run on
TensorFlow 1.x itself). That switches the whole process to graph mode, so here
we build the 1.x model inside `with tf.Graph().as_default():` instead: only that
block is in graph mode, and the rest of the notebook stays eager. We use
`epsilon=1e-7` in the 1.x Adam, the value convnets' `Adam` uses (1.x defaults
to 1e-8).""",
           """\
## 1.x: primeiro um grafo, depois uma sessão

No 1.x, nada do que vem abaixo calcula coisa alguma. Cada linha acrescenta nós a
um grafo: os `placeholder`s são os buracos onde os dados serão injetados,
`get_variable` declara uma variável e como ela *será* inicializada, `tf.nn.conv2d`
e a perda são mais nós, e `AdamOptimizer(...).minimize(loss)` acrescenta os nós
do gradiente e da atualização e devolve uma única op, `train_op`, que os executa.
Imprimir `logits` mostra um tensor simbólico, sem valor.

Scripts antigos começam com `tf.compat.v1.disable_eager_execution()` (ou rodam no
próprio TensorFlow 1.x). Isso põe o processo inteiro em modo grafo; por isso, aqui
montamos o modelo 1.x dentro de `with tf.Graph().as_default():`: só esse bloco
fica em modo grafo, e o resto do notebook continua eager. Usamos `epsilon=1e-7`
no Adam do 1.x, o valor que o `Adam` do convnets usa (o padrão do 1.x é 1e-8)."""),
        code("""\
def lenet5_v1(images):
    \"\"\"The 1.x way: a function that adds the network's nodes (and variables) to the current graph.\"\"\"
    def conv(x, name, shape):
        with tf.compat.v1.variable_scope(name):
            w = tf.compat.v1.get_variable("w", shape, initializer=tf.compat.v1.glorot_uniform_initializer())
            b = tf.compat.v1.get_variable("b", shape[-1:], initializer=tf.compat.v1.zeros_initializer())
        return tf.nn.tanh(tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="VALID") + b)

    def pool(x):
        return tf.compat.v1.nn.avg_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")

    def dense(x, name, shape, activation=None):
        with tf.compat.v1.variable_scope(name):
            w = tf.compat.v1.get_variable("w", shape, initializer=tf.compat.v1.glorot_uniform_initializer())
            b = tf.compat.v1.get_variable("b", shape[-1:], initializer=tf.compat.v1.zeros_initializer())
        y = tf.matmul(x, w) + b
        return y if activation is None else activation(y)

    x = pool(conv(images, "C1", [5, 5, 1, 6]))
    x = pool(conv(x, "C3", [5, 5, 6, 16]))
    x = tf.reshape(conv(x, "C5", [5, 5, 16, 120]), [-1, 120])
    x = dense(x, "F6", [120, 84], tf.nn.tanh)
    return dense(x, "output", [84, 10])

graph = tf.Graph()
with graph.as_default():
    tf.compat.v1.set_random_seed(0)
    images = tf.compat.v1.placeholder(tf.float32, [None, 32, 32, 1], name="images")
    labels = tf.compat.v1.placeholder(tf.int64, [None], name="labels")
    logits = lenet5_v1(images)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    train_op = tf.compat.v1.train.AdamOptimizer(1e-3, epsilon=1e-7).minimize(loss)
    prediction = tf.argmax(logits, 1)
    init = tf.compat.v1.global_variables_initializer()
    params = tf.compat.v1.trainable_variables()
    # loading values from outside into variables: a placeholder and an assign op per variable
    new_values = [tf.compat.v1.placeholder(tf.float32, v.shape) for v in params]
    load_weights = tf.group(*[tf.compat.v1.assign(v, p) for v, p in zip(params, new_values)])
    saver = tf.compat.v1.train.Saver()

print(logits)
print([v.name for v in params])
print(f"{len(graph.get_operations()):,} operations in the graph, none run yet")"""),
        md("""\
## The same starting point

A `Session` holds the variables' values; they do not exist until
`sess.run(tf.compat.v1.global_variables_initializer())` runs their initialisers.
Then we overwrite them with the 2.x network's values, fed through the
placeholders of `load_weights`. Both networks now compute the same function:
on the same batch their outputs agree to rounding error.""",
           """\
## O mesmo ponto de partida

Uma `Session` guarda os valores das variáveis; eles não existem enquanto
`sess.run(tf.compat.v1.global_variables_initializer())` não executar os
inicializadores. Em seguida sobrescrevemos esses valores com os da rede 2.x,
passados pelos placeholders de `load_weights`. Agora as duas redes calculam a
mesma função: no mesmo lote, as saídas coincidem até o erro de arredondamento."""),
        code("""\
sess = tf.compat.v1.Session(graph=graph)
sess.run(init)
values = {v.name: v.numpy() for v in net.trainable_variables}       # "C1/w:0", ... as in the graph
sess.run(load_weights, feed_dict={p: values[v.name] for v, p in zip(params, new_values)})

x, y = next(iter(test_data))
out_v1 = sess.run(logits, feed_dict={images: x.numpy()})
out_v2 = net(x).numpy()
difference = float(np.abs(out_v1 - out_v2).max())
print(f"largest difference between the two networks' logits on {len(x)} test images: {difference:.1e}")
assert difference < 1e-4, difference"""),
        md("""\
## 2.x: the training step is a function

The forward pass runs under a `tf.GradientTape`, which records it;
`tape.gradient` gives the gradients and convnets' `Adam` (a `tf.Module` of
`tf.Variable`s, like the network) applies them. `@tf.function` traces the Python
function once into a graph, so the step runs as a graph, as `train_op` does. Its
arguments play the placeholders' part, and `input_signature` even has the same
shapes: `[None, 32, 32, 1]`, where `None` lets the last, smaller batch use the
same graph.""",
           """\
## 2.x: o passo de treino é uma função

A passagem direta roda sob uma `tf.GradientTape`, que a registra; `tape.gradient`
dá os gradientes, e o `Adam` do convnets (um `tf.Module` de `tf.Variable`s, como a
rede) os aplica. `@tf.function` rastreia (traça) a função Python uma vez e a
transforma num grafo, de modo que o passo roda como grafo, assim como `train_op`.
Os argumentos da função fazem o papel dos placeholders, e a `input_signature` tem
até as mesmas formas: `[None, 32, 32, 1]`, em que o `None` deixa o último lote,
menor, usar o mesmo grafo."""),
        code("""\
from convnets.optim import Adam

optimizer = Adam(1e-3)
optimizer.build(net.trainable_variables)
signature = [tf.TensorSpec([None, 32, 32, 1], tf.float32), tf.TensorSpec([None], tf.int64)]

@tf.function(input_signature=signature)
def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=net(x)))
    grads = tape.gradient(loss, net.trainable_variables)
    optimizer.apply(grads, net.trainable_variables)
    return loss

@tf.function(input_signature=signature[:1])
def predict(x):
    return tf.argmax(net(x), 1)

def accuracy(predict_fn):
    right = total = 0
    for x, y in test_data:
        right += int(np.sum(np.asarray(predict_fn(x)) == y.numpy()))
        total += len(y)
    return right / total

def run_v1(x):                              # the 1.x counterpart of predict
    return sess.run(prediction, feed_dict={images: x.numpy()})

print(f"before training: test accuracy 1.x {accuracy(run_v1):.4f}, 2.x {accuracy(predict):.4f}")"""),
        md("""\
## Side by side

Each batch goes to both: `sess.run([loss, train_op], feed_dict=...)` for 1.x
(the feed takes NumPy arrays), `train_step(x, y)` for 2.x. The two Adams are the
same algorithm, but 1.x folds the bias corrections into the learning rate, so
its `epsilon` ends up scaled slightly differently, and graph and `tf.function`
may add floating-point numbers in a different order. The weights therefore
drift apart a little (the line under each epoch's table); the accuracies do not.
The 2.x seconds of the first epoch include tracing `train_step`.""",
           """\
## Lado a lado

Cada lote vai para as duas: `sess.run([loss, train_op], feed_dict=...)` no 1.x (o
feed recebe arrays NumPy) e `train_step(x, y)` no 2.x. Os dois Adams são o mesmo
algoritmo, mas o 1.x embute as correções de viés na taxa de aprendizado, de modo
que o seu `epsilon` acaba escalado de um jeito ligeiramente diferente, e o grafo
e a `tf.function` podem somar números de ponto flutuante em outra ordem. Por isso
os pesos se afastam um pouco (a linha abaixo da tabela de cada época); as acurácias,
não. Os segundos do 2.x na primeira época incluem o rastreamento de `train_step`."""),
        code("""\
epochs = 1 if QUICK else 3
history = []
for epoch in range(epochs):
    losses, seconds = {"1.x": [], "2.x": []}, {"1.x": 0.0, "2.x": 0.0}
    for x, y in make_dataset(mnist, "train", spec, BATCH, training=True, epoch=epoch):
        start = time.perf_counter()
        loss_v1, _ = sess.run([loss, train_op], feed_dict={images: x.numpy(), labels: y.numpy()})
        seconds["1.x"] += time.perf_counter() - start
        start = time.perf_counter()
        loss_v2 = train_step(x, y)
        losses["1.x"].append(float(loss_v1))
        losses["2.x"].append(float(loss_v2))
        seconds["2.x"] += time.perf_counter() - start
    test = {"1.x": accuracy(run_v1), "2.x": accuracy(predict)}
    weights_v1 = dict(zip([v.name for v in params], sess.run(params)))
    drift = max(float(np.abs(weights_v1[v.name] - v.numpy()).max()) for v in net.trainable_variables)
    rows = [{"epoch": epoch + 1, "style": style, "train loss": round(float(np.mean(losses[style])), 4),
             "test accuracy": round(test[style], 4), "seconds": round(seconds[style], 1)} for style in ("1.x", "2.x")]
    history += rows
    print(pd.DataFrame(rows).to_string(index=False))
    print(f"the two networks' weights now differ by at most {drift:.1e}\\n")

final = {row["style"]: row["test accuracy"] for row in history[-2:]}
assert abs(final["1.x"] - final["2.x"]) <= 0.03, f"the two styles should learn alike: {final}"
assert min(final.values()) >= (0.7 if QUICK else 0.97), f"both should learn MNIST: {final}"
pd.DataFrame(history).pivot(index="epoch", columns="style", values=["train loss", "test accuracy"])"""),
        md("""\
With `CONVNETS_NOTEBOOK_QUICK=1` (2,000 training images, one epoch) both end in
the same place, well short of what MNIST allows. Unset, three epochs on the
60,000 images took both to 98.4% when we ran it (98.44% for 1.x, 98.45% for
2.x, with the same training loss to four decimals), and each style took 13 to
20 seconds an epoch on one CPU thread: both execute a graph, and the only
difference is who builds it, you (1.x) or `tf.function` (2.x).

## Saving: `Saver` and `tf.train.Checkpoint`

1.x's `Saver` stores variables by their graph names (`C1/w`, and the optimiser's
`C1/w/Adam`). 2.x's `tf.train.Checkpoint` stores them by the path of attributes
that leads to them from the objects you give it (`model/C1/0`), so renaming a
variable does not break a checkpoint, and restoring needs no graph: build the
objects, then `read`.""",
           """\
Com `CONVNETS_NOTEBOOK_QUICK=1` (2.000 imagens de treino, uma época), as duas
terminam no mesmo ponto, bem abaixo do que o MNIST permite. Sem essa variável,
três épocas nas 60.000 imagens levaram as duas a 98,4% quando rodamos (98,44% no
1.x, 98,45% no 2.x, com a mesma perda de treino até a quarta casa decimal), e cada
estilo levou de 13 a 20 segundos por época numa única thread de CPU: os dois
executam um grafo, e a única diferença é quem o monta, você (1.x) ou a
`tf.function` (2.x).

## Salvando: `Saver` e `tf.train.Checkpoint`

O `Saver` do 1.x guarda as variáveis pelos nomes que elas têm no grafo (`C1/w`, e
as do otimizador, `C1/w/Adam`). O `tf.train.Checkpoint` do 2.x as guarda pelo
caminho de atributos que leva até elas a partir dos objetos que você passa
(`model/C1/0`); assim, renomear uma variável não quebra o checkpoint, e restaurar
não exige grafo nenhum: crie os objetos e chame `read`."""),
        code("""\
folder = f"{RUNS}/00_tf1_to_tf2"
os.makedirs(f"{folder}/v1", exist_ok=True)   # Saver wants its folder to exist; Checkpoint makes its own
with graph.as_default():                     # the Saver's ops live in the 1.x graph
    path_v1 = saver.save(sess, f"{folder}/v1/model")
path_v2 = tf.train.Checkpoint(model=net, optimizer=optimizer).write(f"{folder}/v2/model")
for style, path in (("1.x", path_v1), ("2.x", path_v2)):
    names = [name for name, _ in tf.train.list_variables(path) if "C1" in name]
    print(f"{style}: {path}\\n    " + "\\n    ".join(names[:4]))

restored = LeNet5()                      # fresh random weights...
tf.train.Checkpoint(model=restored).read(path_v2).expect_partial()   # ...replaced; the optimiser's are skipped
x, _ = next(iter(test_data))
print("restored 2.x network agrees with the trained one:", bool(np.allclose(restored(x), net(x), atol=1e-5)))
sess.close()"""),
        md(f"""\
## From 1.x to 2.x, line by line

{mapping_table("en")}

When you translate, keep the maths (`tf.nn.conv2d`, the loss) as it is: only the
plumbing around it changes.""",
           f"""\
## Do 1.x para o 2.x, linha a linha

{mapping_table("pt")}

Ao traduzir, mantenha a matemática (`tf.nn.conv2d`, a perda) como está: só o
encanamento em volta dela muda."""),
    ]
