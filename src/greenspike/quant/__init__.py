"""Deployed precision: networks quantized to the integer (or fp16) formats hardware runs.

    import greenspike as gs
    int8 = gs.quant.preset("int8")                         # int8 weights/inputs, int16 state
    deployed = gs.quant.quantize(model, int8, calibration=train_images)
    accuracy = evaluate(deployed, test)                    # accuracy at int8
    report = gs.cost.count(deployed, test.images)          # counts of the int8 network
    fit(deployed, ...)                                     # quantization-aware training
    plain = gs.quant.float_model(deployed)                 # back to float weights

Post-training quantization (`quantize` with calibration data) and quantization-aware training
(train the quantized copy: every rounding passes its gradient straight through) use the same
model. Per layer: symmetric per-output-channel integer weights (int2 = ternary ... int16, or
fp16 / bf16), inputs on a calibrated per-layer grid (spikes pass exactly), neuron state in
fixed point (`quantizers` says how each scale is chosen). A deployment's per-layer precision
(`gs.cost.Deployment.precisions`) goes in `layers=`.
"""

from greenspike.cost.precision import FULL_PRECISION, NumberFormat, Precision, number_format
from greenspike.quant.model import PRESETS, calibrate, float_model, is_quantized, preset, quantize
from greenspike.quant.quantizers import InputQuantizer, StateQuantizer, WeightQuantizer

__all__ = [
    "FULL_PRECISION",
    "PRESETS",
    "InputQuantizer",
    "NumberFormat",
    "Precision",
    "StateQuantizer",
    "WeightQuantizer",
    "calibrate",
    "float_model",
    "is_quantized",
    "number_format",
    "preset",
    "quantize",
]
