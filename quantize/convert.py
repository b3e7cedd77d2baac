"""Keras model -> float and full-integer int8 TFLite flatbuffers, with the int8 contract checked."""

import logging
from collections.abc import Iterator, Sequence

import numpy as np
import tensorflow as tf

from edge.model import interpreter_class
from edge.native_output import native_output_to_log

log = logging.getLogger("quantize")


def _convert(converter: tf.lite.TFLiteConverter) -> bytes:
    # The converter prints its SavedModel's signatures (`Saved artifact at ...`), warnings and
    # MLIR passes; none of it is for the user.
    with native_output_to_log(log):
        return converter.convert()


def to_float_tflite(model: tf.keras.Model) -> bytes:
    return _convert(tf.lite.TFLiteConverter.from_keras_model(model))


def to_int8_tflite(model: tf.keras.Model, calibration: Sequence[np.ndarray]) -> bytes:
    """Post-training full-integer quantization: int8 in, int8 out, builtin int8 kernels only.

    `calibration` (the representative dataset) holds float32 model inputs, one sample each
    (`[28, 28, 1]` for a digit model; `[1, 32, W, 1]` lines of their own widths for the
    reader); the converter runs them through the float model to choose each tensor's scale and
    zero point. Restricting to TFLITE_BUILTINS_INT8 makes the converter fail rather than leave
    any op in float.
    """

    def representative() -> Iterator[list[np.ndarray]]:
        for sample in calibration:
            yield [sample if sample.ndim == 4 else sample[np.newaxis]]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return _convert(converter)


def int8_violations(flatbuffer: bytes) -> list[str]:
    """Every way the model departs from 'int8 in, int8 out, only int8 builtin ops'.

    Shape arithmetic in int32 (e.g. a Flatten's SHAPE/PACK) and int32 biases are allowed;
    float tensors, Select TF (Flex) and custom ops are not.
    """
    from ai_edge_litert.interpreter import OpResolverType

    interpreter = interpreter_class()(
        model_content=flatbuffer,
        # Without delegates, so the op list is the model's own, not XNNPACK's partitions.
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    details = interpreter.get_input_details()[0]
    if -1 in details["shape_signature"]:  # the reader's width is set per call: pick one
        shape = [abs(int(v)) * 1 if v != -1 else 64 for v in details["shape_signature"]]
        interpreter.resize_tensor_input(details["index"], [max(1, v) for v in shape])
    interpreter.allocate_tensors()
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    problems = []
    for name, details in (
        ("input", interpreter.get_input_details()[0]),
        ("output", interpreter.get_output_details()[0]),
    ):
        if details["dtype"] != np.int8:
            problems.append(f"model {name} is {np.dtype(details['dtype']).name}, not int8")
    for op in interpreter._get_ops_details():  # the only public-ish op listing LiteRT has
        op_name = op["op_name"]
        if op_name.startswith("Flex") or op_name == "CUSTOM":
            problems.append(f"op {op['index']} {op_name} is not a builtin op")
        used = [i for i in (*op["inputs"], *op["outputs"]) if i >= 0]
        kinds = {np.dtype(tensors[i]["dtype"]).name for i in used}
        if kinds - {"int8", "int32"}:
            problems.append(f"op {op['index']} {op_name} uses {sorted(kinds)} tensors")
    return problems
