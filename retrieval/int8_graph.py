"""The pinned MiniLM file, rewritten so that onnxruntime keeps its int8 weights int8 when it optimises the graph.

The file stores each weight as int8 with a float scale per output column (or per row of an embedding table) and
turns it to float in the graph (``Cast``, then ``Mul`` by the scale). onnxruntime's optimiser folds those into float
constants, and its MatMul kernel then keeps a prepacked float copy of each: ~42 MB a process, with 90 MB of float
weights on disk. Here, before the optimiser sees the graph:

- ``MatMul(x, float(q) * s)`` becomes ``MatMul(x, float(q)) * s``, and ``q`` is declared a graph input as well as
  an initializer (an overridable initializer, which onnxruntime neither folds nor prepacks): each run casts the
  weights it multiplies (the one weight being multiplied is float at a time) and scales the product's columns;
- ``Gather(float(q) * s, ids)`` becomes ``float(Gather(q, ids)) * Gather(s, ids)``: the rows looked up are the same
  floats bit for bit, and the table stays int8 (a quarter of the pages to map).

Every other optimisation (layer-norm and attention fusions) runs as before. The vectors differ from the folded
graph's in the last bits (the products are summed by another kernel; ~2e-7 on a normalised vector).

The edit works on the protobuf wire format directly (the ``onnx`` package is not a dependency): a message is a list
of (field, value) records, so nodes are replaced and inputs appended while every other byte is copied as it was.
Anything it does not recognise is left as it was, to be folded as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

# Field numbers of onnx.proto3 used here.
MODEL_GRAPH = 7
GRAPH_NODE, GRAPH_INITIALIZER, GRAPH_INPUT = 1, 5, 11
NODE_INPUT, NODE_OUTPUT, NODE_NAME, NODE_OP_TYPE, NODE_ATTRIBUTE, NODE_DOMAIN = 1, 2, 3, 4, 5, 7
ATTRIBUTE_NAME, ATTRIBUTE_I, ATTRIBUTE_TYPE, ATTRIBUTE_TYPE_INT = 1, 3, 20, 2
TENSOR_DIMS, TENSOR_DATA_TYPE, TENSOR_NAME = 1, 2, 8
FLOAT, INT8 = 1, 3  # TensorProto.DataType
VARINT, LENGTH_DELIMITED = 0, 2


def _varint(buf: memoryview, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _records(buf: memoryview) -> Iterator[tuple[int, int, int | memoryview, memoryview]]:
    """Each record of a message: field number, wire type, value (an int or the bytes of a length-delimited value)
    and the record's own bytes."""
    i = 0
    while i < len(buf):
        start = i
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        value: int | memoryview
        if wire == VARINT:
            value, i = _varint(buf, i)
        elif wire == LENGTH_DELIMITED:
            length, i = _varint(buf, i)
            value, i = buf[i : i + length], i + length
        elif wire in (1, 5):  # fixed 64 and 32 bits
            size = 8 if wire == 1 else 4
            value, i = buf[i : i + size], i + size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if i > len(buf):
            raise ValueError("truncated protobuf message")
        yield number, wire, value, buf[start:i]


def _text(value: int | memoryview) -> str:
    return bytes(value).decode() if isinstance(value, memoryview) else ""


def _message(value: int | memoryview) -> memoryview:
    return value if isinstance(value, memoryview) else memoryview(b"")


def _int(value: int | memoryview) -> int:
    return value if isinstance(value, int) else 0


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | 0x80 if value else byte)
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _encode_varint(number << 3 | LENGTH_DELIMITED) + _encode_varint(len(payload)) + payload


def _int_field(number: int, value: int) -> bytes:
    return _encode_varint(number << 3 | VARINT) + _encode_varint(value)


@dataclass
class _Node:
    op: str
    inputs: list[str]
    outputs: list[str]
    plain: bool  # the default domain, and no attribute but Gather's axis 0
    raw: bytes


def _node(raw: memoryview) -> _Node:
    inputs: list[str] = []
    outputs: list[str] = []
    op, plain = "", True
    for number, _, value, _ in _records(raw):
        if number == NODE_INPUT:
            inputs.append(_text(value))
        elif number == NODE_OUTPUT:
            outputs.append(_text(value))
        elif number == NODE_OP_TYPE:
            op = _text(value)
        elif number == NODE_DOMAIN and _text(value):
            plain = False
        elif number == NODE_ATTRIBUTE and not _is_axis_zero(_message(value)):
            plain = False
    return _Node(op, inputs, outputs, plain, bytes(raw))


def _is_axis_zero(attribute: memoryview) -> bool:
    values = {number: value for number, _, value, _ in _records(attribute)}
    return _text(values.get(ATTRIBUTE_NAME, 0)) == "axis" and _int(values.get(ATTRIBUTE_I, 0)) == 0


@dataclass
class _Tensor:
    data_type: int = 0
    dims: list[int] = field(default_factory=list)


def _tensor(raw: memoryview) -> tuple[str, _Tensor]:
    name, tensor = "", _Tensor()
    for number, wire, value, _ in _records(raw):
        if number == TENSOR_DIMS and wire == VARINT:
            tensor.dims.append(_int(value))
        elif number == TENSOR_DIMS:  # packed
            i, packed = 0, _message(value)
            while i < len(packed):
                dim, i = _varint(packed, i)
                tensor.dims.append(dim)
        elif number == TENSOR_DATA_TYPE:
            tensor.data_type = _int(value)
        elif number == TENSOR_NAME:
            name = _text(value)
    return name, tensor


def _encode_node(op: str, inputs: list[str], outputs: list[str], attributes: bytes = b"") -> bytes:
    return _field(
        GRAPH_NODE,
        b"".join(_field(NODE_INPUT, x.encode()) for x in inputs)
        + b"".join(_field(NODE_OUTPUT, x.encode()) for x in outputs)
        + _field(NODE_NAME, f"int8/{outputs[0]}".encode())
        + _field(NODE_OP_TYPE, op.encode())
        + attributes,
    )


def _cast_to_float(x: str, y: str) -> bytes:
    to = _field(ATTRIBUTE_NAME, b"to") + _int_field(ATTRIBUTE_I, FLOAT) + _int_field(ATTRIBUTE_TYPE, ATTRIBUTE_TYPE_INT)
    return _encode_node("Cast", [x], [y], _field(NODE_ATTRIBUTE, to))


def _graph_input(name: str, tensor: _Tensor) -> bytes:
    shape = b"".join(_field(1, _int_field(1, d)) for d in tensor.dims)  # TensorShapeProto.dim.dim_value
    tensor_type = _int_field(1, tensor.data_type) + _field(2, shape)  # TypeProto.Tensor: elem_type, shape
    return _field(GRAPH_INPUT, _field(1, name.encode()) + _field(2, _field(1, tensor_type)))  # ValueInfoProto


def keep_int8(model: bytes) -> bytes:
    """``model`` (a serialised ModelProto) with its dequantised MatMul weights and embedding tables rewritten as
    described above; a model without such weights comes back unchanged."""
    buf = memoryview(model)
    graphs = [_message(value) for number, _, value, _ in _records(buf) if number == MODEL_GRAPH]
    if len(graphs) != 1:
        return model
    graph = graphs[0]
    nodes: list[_Node] = []
    tensors: dict[str, _Tensor] = {}
    for number, _, value, _ in _records(graph):
        if number == GRAPH_NODE:
            nodes.append(_node(_message(value)))
        elif number == GRAPH_INITIALIZER:
            name, tensor = _tensor(_message(value))
            tensors[name] = tensor
    users: dict[str, list[_Node]] = {}
    for node in nodes:
        for name in node.inputs:
            users.setdefault(name, []).append(node)

    weights: dict[str, tuple[_Node, _Node]] = {}  # a MatMul weight's float name: its Cast and Mul
    tables: dict[str, tuple[_Node, _Node]] = {}  # an embedding table's float name: its Cast and Mul
    for cast in nodes:
        q = cast.inputs[0] if cast.op == "Cast" and cast.inputs else ""
        if q not in tensors or tensors[q].data_type != INT8 or len(tensors[q].dims) != 2:
            continue
        (mul, *others) = users.get(cast.outputs[0], [None])
        if others or mul is None or mul.op != "Mul" or not mul.plain or mul.inputs[0] != cast.outputs[0]:
            continue
        scale = tensors.get(mul.inputs[1])
        rows, columns = tensors[q].dims
        consumers = users.get(mul.outputs[0], [])
        if scale is None or scale.data_type != FLOAT or not consumers:
            continue
        if (
            scale.dims in ([1, columns], [columns])
            and len(consumers) == 1  # its cast is placed before its one use
            and all(u.op == "MatMul" and u.plain and u.inputs[1] == mul.outputs[0] != u.inputs[0] for u in consumers)
        ):
            weights[mul.outputs[0]] = (cast, mul)
        elif scale.dims == [rows, 1] and all(
            u.op == "Gather" and u.plain and u.inputs[0] == mul.outputs[0] != u.inputs[1] for u in consumers
        ):
            tables[mul.outputs[0]] = (cast, mul)
    if not weights and not tables:
        return model

    dropped = {id(n) for pair in (*weights.values(), *tables.values()) for n in pair}
    new_nodes = bytearray()
    for node in nodes:
        if id(node) in dropped:
            continue
        if node.op == "MatMul" and node.inputs[1] in weights:
            cast, mul = weights[node.inputs[1]]
            (y,) = node.outputs
            new_nodes += _field(GRAPH_NODE, cast.raw)  # cast just before its use: one weight float at a time
            new_nodes += _encode_node("MatMul", [node.inputs[0], cast.outputs[0]], [f"{y}.unscaled"])
            new_nodes += _encode_node("Mul", [f"{y}.unscaled", mul.inputs[1]], [y])
        elif node.op == "Gather" and node.inputs[0] in tables:
            cast, mul = tables[node.inputs[0]]
            (y,), ids = node.outputs, node.inputs[1]
            new_nodes += _encode_node("Gather", [cast.inputs[0], ids], [f"{y}.int8"])
            new_nodes += _cast_to_float(f"{y}.int8", f"{y}.unscaled")
            new_nodes += _encode_node("Gather", [mul.inputs[1], ids], [f"{y}.scale"])
            new_nodes += _encode_node("Mul", [f"{y}.unscaled", f"{y}.scale"], [y])
        else:
            new_nodes += _field(GRAPH_NODE, node.raw)
    inputs = b"".join(_graph_input(cast.inputs[0], tensors[cast.inputs[0]]) for cast, _ in weights.values())

    new_graph = bytearray()
    nodes_written = False
    for number, _, _, raw in _records(graph):
        if number != GRAPH_NODE:
            new_graph += raw
        elif not nodes_written:  # the nodes in their place, in one run
            new_graph += new_nodes
            nodes_written = True
    new_graph += inputs
    out = bytearray()
    for number, _, _, raw in _records(buf):
        out += _field(MODEL_GRAPH, bytes(new_graph)) if number == MODEL_GRAPH else raw
    return bytes(out)
