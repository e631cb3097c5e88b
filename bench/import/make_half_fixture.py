#!/usr/bin/env python3
"""Write a TensorBoard run whose scalars are half-precision tensors (DT_HALF), with tensorboardX's
own protos and writer: `half_val` (the typed field, 16 raw bits in an int32) and `tensor_content`
(2 raw little-endian bytes). Same values as make_fixtures.py (its `values`), float16-rounded.

    python make_half_fixture.py --out FIXTURE_DIR      (writes FIXTURE_DIR/tensorboard_half/run)
"""
import argparse
import os
import struct

from make_fixtures import values


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=200)
    a = ap.parse_args()
    from tensorboardX import SummaryWriter
    from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboardX.proto.tensor_pb2 import TensorProto
    from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto

    writer = SummaryWriter(logdir=os.path.join(a.out, "tensorboard_half", "run"))
    file_writer = writer._get_file_writer()
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
    for step, row in enumerate(values(a.steps)):
        summary = []
        for key, value in row.items():
            bits = struct.unpack("<H", struct.pack("<e", value))[0]
            summary.append(Summary.Value(tag="f16_val/" + key, metadata=metadata,
                                         tensor=TensorProto(dtype=19, tensor_shape=TensorShapeProto(), half_val=[bits])))
            summary.append(Summary.Value(tag="f16_content/" + key, metadata=metadata,
                                         tensor=TensorProto(dtype=19, tensor_shape=TensorShapeProto(),
                                                            tensor_content=struct.pack("<e", value))))
        file_writer.add_summary(Summary(value=summary), step)
    writer.close()


if __name__ == "__main__":
    main()
