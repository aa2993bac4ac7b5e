"""Inference runtimes other than eager torch: ONNX Runtime float and int8 (see `zoo.runtime.onnx`).

Importing this package imports neither onnx nor onnxruntime; `zoo.runtime.onnx` does.
"""
