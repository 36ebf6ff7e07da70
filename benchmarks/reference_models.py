"""The benchmark's models written twice more: with Keras layers and in PyTorch.

Each builder reproduces one convnets model layer for layer (same widths,
kernels, strides, BatchNorm, dropout), so the three frameworks do the same
arithmetic; ``throughput.py`` checks that the parameter counts agree.
Benchmark-only code: the library never imports Keras layers or PyTorch.
"""

from __future__ import annotations

from typing import Any

from convnets.models.mobilenet import V1_MINI_TABLE
from convnets.models.vgg import VGG_MINI as VGG_MINI_CONFIG

VGG_MINI = [v for stage in VGG_MINI_CONFIG.stages for v in (*stage, "M")]  # conv widths, "M" closing each block
CIFAR_RESNET20 = (3, (16, 32, 64))  # blocks per stage, widths (He et al. Sec. 4.2)
# ResNet-20 and its variants: (unit, blocks per stage, widths). SE-ResNet-20's gate squeezes by 4 (senet.py);
# WRN-10-2 is one pre-activation unit per stage at twice the widths, with 1x1 projections where the shape changes.
CIFAR_RESNETS = {"resnet20": ("basic", *CIFAR_RESNET20), "se_resnet20": ("se", *CIFAR_RESNET20),
                 "preact_resnet20": ("preact", *CIFAR_RESNET20), "wrn10_2": ("wide", 1, (32, 64, 128))}


def se_resnet20_squeezed(channels: int) -> int:
    """The width SE-ResNet-20's gate squeezes ``channels`` to: ``SqueezeExcite``'s hidden width at the mini's r."""
    from convnets.models.senet import MINI_REDUCTION

    return max(1, round(channels / MINI_REDUCTION))


def mobilenet_v3_mini_rows() -> tuple[list[tuple], int, int]:
    """MobileNet v3's mini as its builder lays it out (mobilenet_v3.py): each block's (in, hidden, out, kernel,
    stride, SE bottleneck width (0: no SE), activation, expands); the last 1x1 conv's width and the head's."""
    from convnets.models.mobilenet import make_divisible
    from convnets.models.mobilenet_v3 import MOBILENET_V3_MINI as cfg

    alpha, rows, c, c_paper = 0.75, [], 16, 16
    for i, row in enumerate(cfg.blocks):
        out = make_divisible(row.out * alpha)
        hidden = make_divisible(c * (row.exp / c_paper)) if i else c  # no expansion in the first block (Keras's)
        stride = cfg.first_stride if i == 0 else row.s
        squeezed = make_divisible(hidden * 0.25) if row.se else 0
        rows.append((c, hidden, out, row.k, stride, squeezed, "relu" if row.act == "RE" else "hard_swish", i > 0))
        c, c_paper = out, row.out
    return rows, make_divisible(c * 6), cfg.head


# --- Keras ----------------------------------------------------------------------------------

def _keras_conv_bn(t: Any, filters: int, k: int = 1, stride: int = 1, act: str | None = None,
                   depthwise: bool = False) -> Any:
    """Conv (or depthwise conv), BatchNorm (epsilon 1e-3), then Keras activation ``act``: the MBConv twins'
    unit, with TensorFlow's 'same' padding and our He initialisation (a depthwise kernel's fan-in is its k*k
    taps, ours and PyTorch's; Keras's ``HeNormal`` would count k*k*C, so the depthwise one scales by fan-out)."""
    import keras
    from keras import layers as L

    if depthwise:
        t = L.DepthwiseConv2D(k, stride, padding="same", use_bias=False, depthwise_initializer=keras.initializers
                              .VarianceScaling(2.0, "fan_out", "truncated_normal"))(t)
    else:
        t = L.Conv2D(filters, k, stride, padding="same", use_bias=False, kernel_initializer="he_normal")(t)
    t = L.BatchNormalization(epsilon=1e-3, momentum=0.9)(t)
    return L.Activation(act)(t) if act else t


def _keras_squeeze_excite(t: Any, channels: int, squeezed: int, act: str, gate: str) -> Any:
    """``t`` times a per-channel gate from its global average: 1x1 convs (biased) to ``squeezed`` (He) and back
    (Glorot), as our ``SqueezeExcite``'s two dense layers."""
    from keras import layers as L

    s = L.Conv2D(squeezed, 1, activation=act, kernel_initializer="he_normal")(L.GlobalAveragePooling2D(keepdims=True)(t))
    return L.Multiply()([t, L.Conv2D(channels, 1, activation=gate)(s)])


def keras_model(name: str, input_shape: tuple[int, int, int], num_classes: int, dropout: float | None = None) -> Any:
    """``name``'s twin with Keras layers; ``dropout`` overrides the model's own rate (NiN's mini, whose
    Fashion-MNIST recipe turns it off)."""
    import keras
    from keras import layers as L

    inp = keras.Input(input_shape)
    x = inp
    if name == "lenet5_modern":  # He-uniform kernels in the ReLU layers, as ours (lenet.py)
        he = dict(activation="relu", kernel_initializer="he_uniform")
        x = L.MaxPooling2D(2)(L.Conv2D(6, 5, padding="same", **he)(x))
        x = L.MaxPooling2D(2)(L.Conv2D(16, 5, **he)(x))
        x = L.Dense(84, **he)(L.Dense(120, **he)(L.Flatten()(x)))
        out = L.Dense(num_classes)(x)
    elif name == "vgg_mini":
        for v in VGG_MINI:
            if v == "M":
                x = L.MaxPooling2D(2)(x)
            else:
                x = L.ReLU()(L.BatchNormalization(epsilon=1e-5, momentum=0.9)(L.Conv2D(v, 3, padding="same")(x)))
        x = L.Flatten()(x)
        for _ in range(2):
            x = L.Dropout(0.5)(L.Dense(128, activation="relu")(x))
        out = L.Dense(num_classes)(x)
    elif name == "alexnet_mini":  # He-normal kernels, zero biases, LRN after conv1 and conv2, groups of 2 (alexnet.py)
        import tensorflow as tf

        from convnets.models.alexnet import ALEXNET_MINI  # here: end_to_end.py imports this module without it

        c1, c2, c3, c4, c5 = ALEXNET_MINI.widths
        he = dict(activation="relu", kernel_initializer="he_normal", padding="same")
        lrn = L.Lambda(lambda t: tf.nn.local_response_normalization(t, depth_radius=2, bias=2.0, alpha=1e-4,
                                                                   beta=0.75))
        x = L.MaxPooling2D(3, 2)(lrn(L.Conv2D(c1, 5, **he)(x)))
        x = L.MaxPooling2D(3, 2)(lrn(L.Conv2D(c2, 5, groups=2, **he)(x)))
        x = L.Conv2D(c4, 3, groups=2, **he)(L.Conv2D(c3, 3, **he)(x))
        x = L.Flatten()(L.MaxPooling2D(3, 2)(L.Conv2D(c5, 3, groups=2, **he)(x)))
        for _ in range(2):
            x = L.Dropout(0.5)(L.Dense(ALEXNET_MINI.fc_width, activation="relu", kernel_initializer="he_normal")(x))
        out = L.Dense(num_classes, kernel_initializer="he_normal")(x)
    elif name in CIFAR_RESNETS:  # ResNet-20 and its three variants: ours are He-normal, BatchNorm 1e-5 and 0.9
        import tensorflow as tf

        unit, n, widths = CIFAR_RESNETS[name]
        preact = unit in ("preact", "wide")
        he = dict(padding="same", use_bias=False, kernel_initializer="he_normal")

        def conv3(t, w, stride=1):  # padded by one pixel on every side, as ours and PyTorch's (not 'same' at stride 2)
            if stride == 1:
                return L.Conv2D(w, 3, **he)(t)
            return L.Conv2D(w, 3, stride, **dict(he, padding="valid"))(L.ZeroPadding2D(1)(t))

        def bn(t, relu=True):
            t = L.BatchNormalization(epsilon=1e-5, momentum=0.9)(t)
            return L.ReLU()(t) if relu else t

        def zero_pad(t, stride, extra):  # option A: subsample, zero-pad the new channels
            return L.Lambda(lambda t, s=stride, e=extra: tf.pad(
                t[:, ::s, ::s, :], [[0, 0], [0, 0], [0, 0], [e // 2, e - e // 2]]))(t)

        x = L.Conv2D(16, 3, **he)(x)
        x = x if preact else bn(x)  # a pre-activation net's first unit normalises its input itself
        channels = 16
        for stage, w in enumerate(widths):
            for i in range(n):
                stride = 2 if i == 0 and stage > 0 else 1
                changes = stride != 1 or channels != w
                if preact:  # BN-ReLU-3x3, BN-ReLU-3x3 (He et al. 2016b, Fig. 4e)
                    pre = bn(x)
                    if changes and unit == "wide":  # Wide ResNet: a 1x1 projection on the pre-activated input
                        x = L.Conv2D(w, 1, stride, **he)(pre)  # 'same' pads a 1x1 by nothing
                    elif changes:
                        x = zero_pad(x, stride, w - channels)
                    y = conv3(bn(conv3(pre, w, stride)), w)
                    x = L.Add()([x, y])
                else:
                    y = bn(conv3(bn(conv3(x, w, stride)), w), relu=False)
                    if unit == "se":  # the gate on the residual before the addition (Hu et al., Fig. 3)
                        y = _keras_squeeze_excite(y, w, se_resnet20_squeezed(w), "relu", "sigmoid")
                    x = zero_pad(x, stride, w - channels) if changes else x
                    x = L.ReLU()(L.Add()([x, y]))
                channels = w
        x = bn(x) if preact else x  # the BN-ReLU after the last addition
        out = L.Dense(num_classes)(L.GlobalAveragePooling2D()(x))
    elif name == "mobilenet_v1_mini":
        def bn_relu6(t):
            return L.ReLU(6.0)(L.BatchNormalization(epsilon=1e-3, momentum=0.9)(t))

        alpha = 0.5
        x = bn_relu6(L.Conv2D(int(32 * alpha), 3, padding="same", use_bias=False)(x))
        for filters, stride in V1_MINI_TABLE:
            x = bn_relu6(L.DepthwiseConv2D(3, stride, padding="same", use_bias=False)(x))
            x = bn_relu6(L.Conv2D(int(filters * alpha), 1, use_bias=False)(x))
        x = L.Dropout(1e-3)(L.GlobalAveragePooling2D()(x))
        out = L.Dense(num_classes)(x)
    elif name == "nin_mini":  # three mlpconv layers, He-normal kernels, zero biases, TF 'same' pools (nin.py)
        from convnets.models.nin import NIN_MINI

        (c1, c2, c3), (k1, k2, k3), (a1, a2, a3), (b1, b2) = NIN_MINI.conv, NIN_MINI.kernel, NIN_MINI.cccp1, NIN_MINI.cccp2
        he = dict(kernel_initializer="he_normal", padding="same")
        rate = 0.5 if dropout is None else dropout

        def mlpconv(t, conv, k, mlp1, mlp2, last_relu=True):
            t = L.Conv2D(mlp1, 1, activation="relu", **he)(L.Conv2D(conv, k, activation="relu", **he)(t))
            return L.Conv2D(mlp2, 1, activation="relu" if last_relu else None, **he)(t)

        x = L.Dropout(rate)(L.MaxPooling2D(3, 2, padding="same")(mlpconv(x, c1, k1, a1, b1)))
        x = L.Dropout(rate)(L.AveragePooling2D(3, 2, padding="same")(mlpconv(x, c2, k2, a2, b2)))
        out = L.GlobalAveragePooling2D()(mlpconv(x, c3, k3, a3, num_classes, last_relu=False))
    elif name == "squeezenet_mini":  # conv-BN-ReLU everywhere but conv10 (He-normal), Caffe's pools (squeezenet.py)
        from convnets.models.squeezenet import SQUEEZENET_MINI as cfg

        def cbr(t, filters, k):
            t = L.Conv2D(filters, k, padding="same", use_bias=False, kernel_initializer="he_normal")(t)
            return L.ReLU()(L.BatchNormalization(epsilon=1e-5, momentum=0.9)(t))

        def pool(t):  # Caffe's ceil-mode 3x3/2: one pixel padded after; zeros are -inf after a ReLU
            return L.MaxPooling2D(3, 2)(L.ZeroPadding2D(((0, 1), (0, 1)))(t))

        x = cbr(x, cfg.conv1, cfg.conv1_kernel)
        x = pool(x) if 1 in cfg.pool_after else x
        for number, fire in enumerate(cfg.fires, start=2):
            squeezed = cbr(x, fire.s1x1, 1)
            x = L.Concatenate()([cbr(squeezed, fire.e1x1, 1), cbr(squeezed, fire.e3x3, 3)])
            x = pool(x) if number in cfg.pool_after else x
        x = L.Dropout(0.0 if dropout is None else dropout)(x)
        x = L.Conv2D(num_classes, 1, kernel_initializer=keras.initializers.RandomNormal(0.0, 0.01))(x)
        out = L.GlobalAveragePooling2D()(x)
    elif name == "efficientnet_mini":  # MBConv: expand 1x1, depthwise, SE, project 1x1; swish; TF 'same' (efficientnet.py)
        from convnets.models.efficientnet import EFFICIENTNET_MINI as cfg

        cbs = _keras_conv_bn
        c = cfg.filters(cfg.stem)
        x = cbs(x, c, 3, cfg.stem_stride, "swish")
        for b, a in enumerate(cfg.blocks):  # one block a stage
            cout, hidden = cfg.filters(a.cout), c * a.expand
            y = cbs(cbs(x, hidden, act="swish") if a.expand != 1 else x, hidden, a.k, a.stride, "swish", depthwise=True)
            y = _keras_squeeze_excite(y, hidden, max(1, int(c * a.se)), "swish", "sigmoid")
            y = cbs(y, cout)
            if a.stride == 1 and c == cout:  # drop connect on the residual branch, rate 0.2 * b / n
                y = L.Add()([x, L.Dropout(cfg.drop_connect * b / len(cfg.blocks), noise_shape=(None, 1, 1, 1))(y)])
            x, c = y, cout
        x = L.GlobalAveragePooling2D()(cbs(x, cfg.filters(cfg.top), act="swish"))
        out = L.Dense(num_classes)(L.Dropout(cfg.dropout if dropout is None else dropout)(x))
    elif name == "mobilenet_v3_mini":  # Small's blocks: expand, depthwise, SE (hard-sigmoid gate), project; 'same'
        from convnets.models.mobilenet_v3 import MOBILENET_V3_MINI as cfg

        cba = _keras_conv_bn
        hs = "hard_silu"  # Keras 3's hard_silu: x * relu6(x + 3) / 6, our hard-swish
        x = cba(x, 16, 3, cfg.stem_stride, hs)
        rows, last_conv, head = mobilenet_v3_mini_rows()
        for cin, hidden, cout, k, stride, squeezed, act, expands in rows:
            act = hs if act == "hard_swish" else act
            y = cba(cba(x, hidden, act=act) if expands else x, hidden, k, stride, act, depthwise=True)
            y = _keras_squeeze_excite(y, hidden, squeezed, "relu", "hard_sigmoid") if squeezed else y
            y = cba(y, cout)
            x = L.Add()([x, y]) if stride == 1 and cin == cout else y
        x = L.GlobalAveragePooling2D()(cba(x, last_conv, act=hs))
        x = L.Dense(head, activation="hard_silu")(x)  # Sec. 5.3: the 1x1 "conv" after the pool
        out = L.Dense(num_classes)(L.Dropout(0.2 if dropout is None else dropout)(x))
    elif name == "resnet50":
        return keras.applications.ResNet50(weights=None, input_shape=input_shape, classes=num_classes,
                                           classifier_activation=None)
    else:
        raise ValueError(f"no Keras reference for {name}")
    return keras.Model(inp, out, name=name)


# --- PyTorch --------------------------------------------------------------------------------

def torch_model(name: str, input_shape: tuple[int, int, int], num_classes: int, dropout: float | None = None) -> Any:
    """``name``'s twin in PyTorch (NCHW); ``dropout`` as for ``keras_model``."""
    import torch
    from torch import nn

    h, w, c = input_shape

    def flat_size(features: nn.Module) -> int:
        with torch.no_grad():
            return int(features(torch.zeros(1, c, h, w)).numel())

    if name == "lenet5_modern":
        features = nn.Sequential(nn.Conv2d(c, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                                 nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
        return _like_convnets(nn.Sequential(features, nn.Linear(flat_size(features), 120), nn.ReLU(),
                                            nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, num_classes)), init="he_uniform")
    if name == "vgg_mini":
        layers: list[nn.Module] = []
        ch = c
        for v in VGG_MINI:
            if v == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(ch, v, 3, padding=1), nn.BatchNorm2d(v, eps=1e-5, momentum=0.1), nn.ReLU()]
                ch = v
        features = nn.Sequential(*layers, nn.Flatten())
        return _like_convnets(nn.Sequential(features, nn.Linear(flat_size(features), 128), nn.ReLU(), nn.Dropout(0.5),
                                            nn.Linear(128, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, num_classes)))
    if name == "alexnet_mini":
        from convnets.models.alexnet import ALEXNET_MINI

        c1, c2, c3, c4, c5 = ALEXNET_MINI.widths
        lrn = dict(size=5, alpha=5 * 1e-4, beta=0.75, k=2.0)  # PyTorch divides alpha by size; ours does not
        features = nn.Sequential(
            nn.Conv2d(c, c1, 5, 1, 2), nn.ReLU(), nn.LocalResponseNorm(**lrn), nn.MaxPool2d(3, 2),
            nn.Conv2d(c1, c2, 5, 1, 2, groups=2), nn.ReLU(), nn.LocalResponseNorm(**lrn), nn.MaxPool2d(3, 2),
            nn.Conv2d(c2, c3, 3, 1, 1), nn.ReLU(), nn.Conv2d(c3, c4, 3, 1, 1, groups=2), nn.ReLU(),
            nn.Conv2d(c4, c5, 3, 1, 1, groups=2), nn.ReLU(), nn.MaxPool2d(3, 2), nn.Flatten())
        fc = ALEXNET_MINI.fc_width
        return _like_convnets(nn.Sequential(features, nn.Linear(flat_size(features), fc), nn.ReLU(), nn.Dropout(0.5),
                                            nn.Linear(fc, fc), nn.ReLU(), nn.Dropout(0.5), nn.Linear(fc, num_classes)),
                              init="he_normal")
    if name in CIFAR_RESNETS:
        unit, n, widths = CIFAR_RESNETS[name]
        model = _like_convnets(_torch_classes()[0](c, num_classes, unit, n, widths), init="he_normal")
        for m in [*(b.se[3] for b in model.blocks if getattr(b, "se", None) is not None), model.fc]:
            nn.init.xavier_uniform_(m.weight)  # the SE gate's and the classifier's: Glorot-uniform, as ours
        return model
    if name == "mobilenet_v1_mini":
        alpha = 0.5

        def conv_bn(cin: int, cout: int, k: int, stride: int, groups: int = 1) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, k, stride, padding=k // 2, groups=groups, bias=False),
                    nn.BatchNorm2d(cout, eps=1e-3, momentum=0.1), nn.ReLU6()]

        ch = int(32 * alpha)
        layers = conv_bn(c, ch, 3, 1)
        for filters, stride in V1_MINI_TABLE:
            out = int(filters * alpha)
            layers += conv_bn(ch, ch, 3, stride, groups=ch) + conv_bn(ch, out, 1, 1)
            ch = out
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(1e-3), nn.Linear(ch, num_classes))
    if name == "nin_mini":
        from convnets.models.nin import NIN_MINI

        (c1, c2, c3), (k1, k2, k3), (a1, a2, a3), (b1, b2) = NIN_MINI.conv, NIN_MINI.kernel, NIN_MINI.cccp1, NIN_MINI.cccp2
        rate = 0.5 if dropout is None else dropout

        def mlpconv(cin: int, conv: int, k: int, mlp1: int, mlp2: int, last_relu: bool = True) -> list[nn.Module]:
            layers = [nn.Conv2d(cin, conv, k, padding=k // 2), nn.ReLU(), nn.Conv2d(conv, mlp1, 1), nn.ReLU(),
                      nn.Conv2d(mlp1, mlp2, 1)]
            return layers + [nn.ReLU()] if last_relu else layers

        SamePool = _torch_classes()[2]
        return _like_convnets(nn.Sequential(
            *mlpconv(c, c1, k1, a1, b1), SamePool("max"), nn.Dropout(rate),
            *mlpconv(b1, c2, k2, a2, b2), SamePool("avg"), nn.Dropout(rate),
            *mlpconv(b2, c3, k3, a3, num_classes, last_relu=False), nn.AdaptiveAvgPool2d(1), nn.Flatten()),
            init="he_normal")
    if name == "squeezenet_mini":
        from convnets.models.squeezenet import SQUEEZENET_MINI as cfg

        Fire = _torch_classes()[3]

        def pool_after(number: int) -> list[nn.Module]:  # Caffe's 3x3/2 pool, padded after as the Keras twin's
            return [nn.ZeroPad2d((0, 1, 0, 1)), nn.MaxPool2d(3, 2)] if number in cfg.pool_after else []

        layers = [nn.Conv2d(c, cfg.conv1, cfg.conv1_kernel, padding=cfg.conv1_kernel // 2, bias=False),
                  nn.BatchNorm2d(cfg.conv1, eps=1e-5, momentum=0.1), nn.ReLU(), *pool_after(1)]
        ch = cfg.conv1
        for number, fire in enumerate(cfg.fires, start=2):
            layers += [Fire(ch, fire.s1x1, fire.e1x1, fire.e3x3), *pool_after(number)]
            ch = fire.e1x1 + fire.e3x3
        conv10 = nn.Conv2d(ch, num_classes, 1)
        model = _like_convnets(nn.Sequential(*layers, nn.Dropout(0.0 if dropout is None else dropout), conv10,
                                             nn.AdaptiveAvgPool2d(1), nn.Flatten()), init="he_normal")
        nn.init.normal_(conv10.weight, 0.0, 0.01)  # N(0, 0.01), as Caffe's, torchvision's and ours
        return model
    if name == "efficientnet_mini":
        from convnets.models.efficientnet import EFFICIENTNET_MINI as cfg

        SameConv, MBConv = _torch_classes()[4:6]
        ch, top = cfg.filters(cfg.stem), cfg.filters(cfg.top)
        layers = [SameConv(c, ch, 3, cfg.stem_stride, bias=False), nn.BatchNorm2d(ch, eps=1e-3, momentum=0.1), nn.SiLU()]
        for b, a in enumerate(cfg.blocks):
            layers.append(MBConv(ch, cfg.filters(a.cout), a.k, a.stride, a.expand, a.se,
                                 cfg.drop_connect * b / len(cfg.blocks)))
            ch = cfg.filters(a.cout)
        head = nn.Linear(top, num_classes)
        model = _like_convnets(nn.Sequential(
            *layers, SameConv(ch, top, 1, 1, bias=False), nn.BatchNorm2d(top, eps=1e-3, momentum=0.1), nn.SiLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(cfg.dropout if dropout is None else dropout), head),
            init="he_normal")
        for m in [*(block.se[3] for block in layers if isinstance(block, MBConv)), head]:
            nn.init.xavier_uniform_(m.weight)  # the SE gate's and the classifier's: Glorot-uniform, as ours
        return model
    if name == "mobilenet_v3_mini":
        from convnets.models.mobilenet_v3 import MOBILENET_V3_MINI as cfg

        SameConv, MBV3Block = _torch_classes()[4], _torch_classes()[6]
        rows, last_conv, head = mobilenet_v3_mini_rows()
        fc1, fc2 = nn.Linear(last_conv, head), nn.Linear(head, num_classes)
        model = _like_convnets(nn.Sequential(
            SameConv(c, 16, 3, cfg.stem_stride, bias=False), nn.BatchNorm2d(16, eps=1e-3, momentum=0.1), nn.Hardswish(),
            *(MBV3Block(*row) for row in rows),
            SameConv(rows[-1][2], last_conv, 1, 1, bias=False), nn.BatchNorm2d(last_conv, eps=1e-3, momentum=0.1),
            nn.Hardswish(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), fc1, nn.Hardswish(),
            nn.Dropout(0.2 if dropout is None else dropout), fc2), init="he_normal")
        gates = [block.se[3] for block in model if isinstance(block, MBV3Block) and block.se is not None]
        for m in [*gates, fc1, fc2]:
            nn.init.xavier_uniform_(m.weight)  # the SE gate's, the head's and the classifier's: Glorot-uniform, as ours
        return model
    if name == "resnet50":
        return _TorchResNet50(c, num_classes)
    raise ValueError(f"no PyTorch reference for {name}")


def _like_convnets(model: Any, init: str = "glorot_uniform") -> Any:
    """Our initialisation instead of PyTorch's default (uniform +-1/sqrt(fan_in), biases too), so a
    time-to-accuracy race starts from the same distribution in every framework: zero biases and
    ``init`` kernels: "glorot_uniform"; "he_uniform" for all but the last layer (Glorot-uniform there);
    or "he_normal" for every layer (a normal of std sqrt(2 / fan_in) truncated at two of its own std and
    rescaled, as ours and Keras's)."""
    import math

    import torch
    from torch import nn

    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    for i, m in enumerate(layers):
        if init == "he_normal":
            fan_in = m.weight[0].numel()  # in/groups x kernel area, or in_features
            std = math.sqrt(2.0 / fan_in) / 0.87962566103423978
            with torch.no_grad():
                nn.init.trunc_normal_(m.weight, std=std, a=-2 * std, b=2 * std)
        elif init == "he_uniform" and i < len(layers) - 1:
            nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")  # sqrt(6 / fan_in), Keras's he_uniform
        else:
            nn.init.xavier_uniform_(m.weight)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    return model


def _torch_classes():  # defined lazily so importing this module does not need torch
    import torch
    from torch import nn

    def zero_pad(x, stride: int, extra: int):
        """Option A's shortcut: subsample, zero-pad the new channels (half before, half after)."""
        return nn.functional.pad(x[:, :, ::stride, ::stride], (0, 0, 0, 0, extra // 2, extra - extra // 2))

    class BasicA(nn.Module):
        """ResNet's basic unit with option A shortcuts; ``se``: SENet's gate on the residual before the addition."""

        def __init__(self, cin: int, w: int, stride: int, se: bool = False):
            super().__init__()
            self.c1, self.b1 = nn.Conv2d(cin, w, 3, stride, 1, bias=False), nn.BatchNorm2d(w)
            self.c2, self.b2 = nn.Conv2d(w, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w)
            self.se = squeeze_excite(w, se_resnet20_squeezed(w), nn.ReLU, nn.Sigmoid) if se else None
            self.stride, self.extra = stride, w - cin

        def forward(self, x):
            y = self.b2(self.c2(torch.relu(self.b1(self.c1(x)))))
            y = y if self.se is None else y * self.se(y)
            if self.stride != 1 or self.extra:
                x = zero_pad(x, self.stride, self.extra)
            return torch.relu(x + y)

    class PreActBasic(nn.Module):
        """BN-ReLU-3x3, BN-ReLU-3x3 added to the input (He et al. 2016b, Fig. 4e); where the shape changes the
        input zero-padded (option A) or, ``project``, a 1x1 convolution of the pre-activated input (Wide ResNet)."""

        def __init__(self, cin: int, w: int, stride: int, project: bool):
            super().__init__()
            changes = stride != 1 or cin != w
            self.b0 = nn.BatchNorm2d(cin)
            self.c1, self.b1 = nn.Conv2d(cin, w, 3, stride, 1, bias=False), nn.BatchNorm2d(w)
            # Registered between the convolutions: the order Keras's functional graph lists the twin's layers in.
            self.short = nn.Conv2d(cin, w, 1, stride, bias=False) if changes and project else None
            self.c2 = nn.Conv2d(w, w, 3, 1, 1, bias=False)
            self.pad = (stride, w - cin) if changes and not project else None  # option A's zero_pad arguments

        def forward(self, x):
            pre = torch.relu(self.b0(x))
            y = self.c2(torch.relu(self.b1(self.c1(pre))))
            if self.short is not None:
                return self.short(pre) + y
            return (x if self.pad is None else zero_pad(x, *self.pad)) + y

    class CifarResNet(nn.Module):
        """ResNet-20 (Sec. 4.2) or one of its variants, ``unit`` as in CIFAR_RESNETS."""

        def __init__(self, c: int, num_classes: int, unit: str, n: int, widths: tuple[int, ...]):
            super().__init__()
            preact = unit in ("preact", "wide")
            conv = nn.Conv2d(c, 16, 3, 1, 1, bias=False)
            self.stem = conv if preact else nn.Sequential(conv, nn.BatchNorm2d(16), nn.ReLU())
            blocks, ch = [], 16
            for stage, w in enumerate(widths):
                for i in range(n):
                    stride = 2 if i == 0 and stage > 0 else 1
                    blocks.append(PreActBasic(ch, w, stride, unit == "wide") if preact
                                  else BasicA(ch, w, stride, unit == "se"))
                    ch = w
            self.blocks = nn.Sequential(*blocks)
            self.post = nn.Sequential(nn.BatchNorm2d(ch), nn.ReLU()) if preact else nn.Identity()
            self.fc = nn.Linear(ch, num_classes)

        def forward(self, x):
            return self.fc(self.post(self.blocks(self.stem(x))).mean((2, 3)))

    class Bottleneck(nn.Module):
        """Keras's ResNet50 block: stride in the first 1x1, biases in every conv."""

        def __init__(self, cin: int, w: int, stride: int):
            super().__init__()
            out = 4 * w
            self.body = nn.Sequential(
                nn.Conv2d(cin, w, 1, stride), nn.BatchNorm2d(w, eps=1.001e-5), nn.ReLU(),
                nn.Conv2d(w, w, 3, 1, 1), nn.BatchNorm2d(w, eps=1.001e-5), nn.ReLU(),
                nn.Conv2d(w, out, 1), nn.BatchNorm2d(out, eps=1.001e-5))
            self.short = None
            if stride != 1 or cin != out:
                self.short = nn.Sequential(nn.Conv2d(cin, out, 1, stride), nn.BatchNorm2d(out, eps=1.001e-5))

        def forward(self, x):
            return torch.relu(self.body(x) + (x if self.short is None else self.short(x)))

    class ResNet50(nn.Module):
        def __init__(self, c: int, num_classes: int):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(c, 64, 7, 2, 3), nn.BatchNorm2d(64, eps=1.001e-5), nn.ReLU(),
                                      nn.MaxPool2d(3, 2, 1))
            blocks, ch = [], 64
            for stage, (n, w) in enumerate(zip((3, 4, 6, 3), (64, 128, 256, 512))):
                for i in range(n):
                    blocks.append(Bottleneck(ch, w, 2 if i == 0 and stage > 0 else 1))
                    ch = 4 * w
            self.blocks = nn.Sequential(*blocks)
            self.fc = nn.Linear(ch, num_classes)

        def forward(self, x):
            return self.fc(self.blocks(self.stem(x)).mean((2, 3)))

    class SamePool(nn.Module):
        """A 3x3/2 pool as TensorFlow's 'same' pads it (the odd pixel after, not before; the average over
        the window's pixels inside the image), which PyTorch's symmetric ``padding`` cannot express."""

        def __init__(self, kind: str, k: int = 3, s: int = 2):
            super().__init__()
            self.kind, self.k, self.s = kind, k, s

        def forward(self, x):
            h, w = x.shape[2:]
            pads = []
            for n in (w, h):  # F.pad takes the last axis first
                total = max((-(-n // self.s) - 1) * self.s + self.k - n, 0)
                pads += [total // 2, total - total // 2]
            f = nn.functional
            if self.kind == "max":  # -inf padding, so a window's max is over the image's pixels
                return f.max_pool2d(f.pad(x, pads, value=float("-inf")), self.k, self.s)
            ones = f.pad(torch.ones(1, 1, h, w, dtype=x.dtype), pads)
            return f.avg_pool2d(f.pad(x, pads), self.k, self.s) / f.avg_pool2d(ones, self.k, self.s)

    class Fire(nn.Module):
        """SqueezeNet's Fire module with BatchNorm: squeeze 1x1, then expand 1x1 and 3x3, concatenated."""

        def __init__(self, cin: int, s1x1: int, e1x1: int, e3x3: int):
            super().__init__()

            def cbr(i: int, o: int, k: int) -> nn.Module:
                return nn.Sequential(nn.Conv2d(i, o, k, padding=k // 2, bias=False),
                                     nn.BatchNorm2d(o, eps=1e-5, momentum=0.1), nn.ReLU())

            self.squeeze, self.e1, self.e3 = cbr(cin, s1x1, 1), cbr(s1x1, e1x1, 1), cbr(s1x1, e3x3, 3)

        def forward(self, x):
            s = self.squeeze(x)
            return torch.cat([self.e1(s), self.e3(s)], 1)

    class SameConv(nn.Conv2d):
        """A convolution padded as TensorFlow's 'same' pads it (a stride-2 layer's odd pixel after, not before)."""

        def forward(self, x):
            pads = []
            for n, k, s in zip(x.shape[:1:-1], self.kernel_size[::-1], self.stride[::-1]):  # F.pad: last axis first
                total = max((-(-n // s) - 1) * s + k - n, 0)
                pads += [total // 2, total - total // 2]
            return super().forward(nn.functional.pad(x, pads))

    def conv_bn(i: int, o: int, k: int = 1, s: int = 1, act: type[nn.Module] | None = None,
                groups: int = 1) -> nn.Module:
        """Conv ('same'), BatchNorm (epsilon 1e-3), then ``act``: the MBConv twins' unit."""
        layers = [SameConv(i, o, k, s, groups=groups, bias=False), nn.BatchNorm2d(o, eps=1e-3, momentum=0.1)]
        return nn.Sequential(*layers, act()) if act else nn.Sequential(*layers)

    def squeeze_excite(c: int, squeezed: int, act: type[nn.Module], gate: type[nn.Module]) -> nn.Module:
        """The gate of ``c`` channels from their global average (multiply the input by it)."""
        return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c, squeezed, 1), act(), nn.Conv2d(squeezed, c, 1), gate())

    class MBConv(nn.Module):
        """EfficientNet's block: expand 1x1, depthwise kxk, squeeze-and-excite, project 1x1; swish; drop connect
        on the residual branch (a whole example's branch dropped, the kept ones scaled by 1/(1-rate))."""

        def __init__(self, cin: int, cout: int, k: int, stride: int, expand: int, se: float, drop: float):
            super().__init__()
            hidden = cin * expand
            self.expand = conv_bn(cin, hidden, act=nn.SiLU) if expand != 1 else nn.Identity()
            self.dwconv = conv_bn(hidden, hidden, k, stride, nn.SiLU, groups=hidden)
            self.se = squeeze_excite(hidden, max(1, int(cin * se)), nn.SiLU, nn.Sigmoid)
            self.project = conv_bn(hidden, cout)
            self.residual, self.drop = stride == 1 and cin == cout, drop

        def forward(self, x):
            y = self.dwconv(self.expand(x))
            y = self.project(y * self.se(y))
            if not self.residual:
                return y
            if self.training and self.drop > 0:
                y = y * ((torch.rand(y.shape[0], 1, 1, 1) >= self.drop).to(y.dtype) / (1 - self.drop))
            return x + y

    class MBV3Block(nn.Module):
        """MobileNet v3's block: expand 1x1 (not in the first), depthwise kxk, squeeze-and-excite with a ReLU
        bottleneck and a hard-sigmoid gate, project 1x1; the input added when the shapes match."""

        def __init__(self, cin: int, hidden: int, cout: int, k: int, stride: int, squeezed: int, act: str,
                     expands: bool):
            super().__init__()
            act_module = nn.ReLU if act == "relu" else nn.Hardswish
            self.expand = conv_bn(cin, hidden, act=act_module) if expands else nn.Identity()
            self.depthwise = conv_bn(hidden, hidden, k, stride, act_module, groups=hidden)
            self.se = squeeze_excite(hidden, squeezed, nn.ReLU, nn.Hardsigmoid) if squeezed else None
            self.project = conv_bn(hidden, cout)
            self.residual = stride == 1 and cin == cout

        def forward(self, x):
            y = self.depthwise(self.expand(x))
            y = self.project(y if self.se is None else y * self.se(y))
            return x + y if self.residual else y

    return CifarResNet, ResNet50, SamePool, Fire, SameConv, MBConv, MBV3Block


def _TorchResNet50(c: int, num_classes: int) -> Any:
    return _torch_classes()[1](c, num_classes)
