#!/usr/bin/python3
"""Writes the HDF5 test files for internal/hdf5 and, next to each, the values
h5py reads back from it (NAME.h5 -> NAME.json).

Run from anywhere with Debian's python3 and h5py (python3-h5py):

    /usr/bin/python3 internal/hdf5/testdata/gen.py [OUTDIR]

OUTDIR defaults to the directory of this script. The Go test
TestGenerated reads every NAME.h5/NAME.json pair; TestRegenerate reruns this
script into a temporary directory when h5py is importable and checks the fresh
files too. Each file stays well under 20 KB so it can be committed.

The JSON holds, for the whole tree as h5py sees it:
  groups:   {path: sorted member names}
  datasets: {path: value}
  attrs:    {path: {attribute name: value}}
where a value is {"kind", "shape", "values" (flattened, C order)}; kind is one
of float, int, uint, string, bool, enum, null. NaN is never written (JSON has
none).
"""

import json
import os
import sys

import h5py
import numpy as np

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))


def kind_of(dt):
    if h5py.check_string_dtype(dt) is not None:
        return "string"
    if dt.kind == "S" or dt.kind == "U":
        return "string"
    if dt.kind == "b":
        return "bool"
    if h5py.check_enum_dtype(dt) is not None:
        return "enum"
    if dt.kind == "f":
        return "float"
    if dt.kind == "i":
        return "int"
    if dt.kind == "u":
        return "uint"
    if dt.subdtype is not None:
        return kind_of(dt.subdtype[0])
    raise ValueError("unexpected dtype %r" % (dt,))


def describe(v, dt, shape):
    if isinstance(v, h5py.Empty):
        return {"kind": "null", "shape": None, "values": []}
    k = kind_of(dt)
    arr = np.asarray(v)
    flat = arr.reshape(-1).tolist() if arr.size else []
    if k == "string":
        flat = [x.decode("utf-8") if isinstance(x, bytes) else str(x) for x in flat]
    elif k == "bool":
        flat = [bool(x) for x in flat]
    elif k == "float":
        flat = [float(x) for x in flat]
    else:
        flat = [int(x) for x in flat]
    return {"kind": k, "shape": list(shape) if shape is not None else None, "values": flat}


def expected(path):
    out = {"groups": {}, "datasets": {}, "attrs": {}}
    with h5py.File(path, "r") as f:
        def attrs(name, obj):
            a = {}
            for an in obj.attrs:
                aid = obj.attrs.get_id(an)
                v = obj.attrs[an]
                shape = aid.shape if aid.get_space().get_simple_extent_type() != h5py.h5s.NULL else None
                a[an] = describe(v, aid.dtype, shape)
            if a:
                out["attrs"][name] = a

        def visit(name, obj):
            p = "/" + name
            attrs(p, obj)
            if isinstance(obj, h5py.Group):
                out["groups"][p] = sorted(obj.keys())
            elif isinstance(obj, h5py.Dataset):
                if obj.shape is None:
                    out["datasets"][p] = {"kind": "null", "shape": None, "values": []}
                else:
                    out["datasets"][p] = describe(obj[()], obj.dtype, obj.shape)

        out["groups"]["/"] = sorted(f.keys())
        attrs("/", f)
        f.visititems(visit)
    with open(path[:-3] + ".json", "w") as fh:
        json.dump(out, fh, indent=1, sort_keys=True)
        fh.write("\n")


def types(f, part):
    """Every datatype the reader supports, as datasets and as attributes."""
    t = f.create_group("types")
    if part == "num":
        numeric(t)
        return
    s = h5py.string_dtype("utf-8")
    color = h5py.enum_dtype({"RED": 0, "GREEN": 1, "BLUE": 42}, basetype="i2")
    t.create_dataset("bool", data=np.array([True, False, True]))
    t.create_dataset("bool_scalar", data=np.bool_(True))
    t.create_dataset("enum", data=np.array([0, 42, 1], dtype="i2"), dtype=color)
    other(t, s, color)


def numeric(t):
    x = np.array([1.5, -2.25, 3000.0, 0.0], dtype="<f8")
    for name in ["<f4", ">f4", "<f8", ">f8", "<f2"]:
        t.create_dataset("f_" + name[1:] + ("le" if name[0] == "<" else "be"), data=x.astype(name))
    for bits in [8, 16, 32, 64]:
        for end, e in [("<", "le"), (">", "be")]:
            info = np.iinfo("i%d" % (bits // 8))
            t.create_dataset("i%d%s" % (bits, e), data=np.array([info.min, -1, 0, 1, info.max], dtype=end + "i%d" % (bits // 8)))
            uinfo = np.iinfo("u%d" % (bits // 8))
            t.create_dataset("u%d%s" % (bits, e), data=np.array([0, 1, 200, uinfo.max], dtype=end + "u%d" % (bits // 8)))


def other(t, s, color):
    t.create_dataset("vstr", data=np.array(["input", "ünïcode", "", "a longer string value"], dtype=object), dtype=s)
    t.create_dataset("vstr_scalar", data="LIF", dtype=s)
    t.create_dataset("vstr_ascii", data=np.array([b"abc", b"de"], dtype=object), dtype=h5py.string_dtype("ascii"))
    t.create_dataset("vstr_2d", data=np.array([["input", "0"], ["0", "1"], ["1", "output"]], dtype=object), dtype=s)
    t.create_dataset("fstr", data=np.array([b"abc", b"de", b"fghij"], dtype="S5"))
    t.create_dataset("fstr_scalar", data=np.bytes_(b"hello"))
    # Null-padded fixed strings (numpy S is null-terminated by h5py; make a nullpad one by hand).
    tid = h5py.h5t.C_S1.copy()
    tid.set_size(6)
    tid.set_strpad(h5py.h5t.STR_NULLPAD)
    sid = h5py.h5s.create_simple((2,))
    d = h5py.h5d.create(t.id, b"fstr_nullpad", tid, sid)
    d.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array([b"sixsix", b"ab"], dtype="S6"), mtype=tid)
    tid = h5py.h5t.C_S1.copy()
    tid.set_size(4)
    tid.set_strpad(h5py.h5t.STR_SPACEPAD)
    d = h5py.h5d.create(t.id, b"fstr_spacepad", tid, sid)
    d.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array([b"ab  ", b"abcd"], dtype="S4"), mtype=tid)
    arr = t.create_dataset("array_f4", shape=(2,), dtype=np.dtype(("<f4", (3,))))
    arr[...] = np.arange(6, dtype="<f4").reshape(2, 3)
    t.create_dataset("scalar_f8", data=np.float64(0.0025))
    t.create_dataset("scalar_i64", data=np.int64(-7))
    t.create_dataset("nd", data=np.arange(24, dtype="<i4").reshape(2, 3, 4))
    t.create_dataset("empty", data=np.zeros((0,), dtype="<f4"))
    t.create_dataset("empty_2d", data=np.zeros((3, 0), dtype="<f8"))
    t.create_dataset("null", data=h5py.Empty("<f4"))

    a = t.attrs
    a["f64"] = np.float64(0.1)
    a["f32"] = np.float32(2.5)
    a["f32be"] = np.array(2.5, dtype=">f4")
    a["i64"] = np.int64(-3)
    a["u8"] = np.uint8(255)
    a["bool"] = np.bool_(False)
    a["bools"] = np.array([True, False])
    a["vstr"] = "scalar string"
    a["vstrs"] = np.array(["a", "bc", "def"], dtype=object)
    a.create("vstrs_typed", data=np.array(["x", "yz"], dtype=object), dtype=s)
    a["fstr"] = np.bytes_(b"fixed")
    a["fstrs"] = np.array([b"one", b"three"], dtype="S5")
    a["floats"] = np.array([1.0, 2.0, 3.0])
    a["ints2d"] = np.arange(6, dtype=">i2").reshape(2, 3)
    a["enum"] = np.array(42, dtype="i2")
    a.modify("enum", np.array(42, dtype="i2"))
    a.create("enum", data=np.array(42, dtype="i2"), dtype=color)
    a["empty"] = h5py.Empty("<f8")
    a["zero_len"] = np.zeros((0,), dtype="<i4")


def layouts(f, part, full=True):
    """Storage layouts and filters."""
    l = f.create_group("layout")
    data = np.arange(100, dtype="<f8") / 4
    m = np.arange(77, dtype="<f4").reshape(7, 11)
    if part == "b":
        layouts_b(l, data, m, full)
        return
    l.create_dataset("contiguous", data=data)
    # Compact: only through the low-level API.
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    sid = h5py.h5s.create_simple((5,))
    d = h5py.h5d.create(l.id, b"compact", h5py.h5t.STD_I32LE, sid, dcpl=dcpl)
    d.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array([5, 4, 3, 2, 1], dtype="<i4"))
    l.create_dataset("chunked", data=data, chunks=(16,))  # 7 chunks, last partial
    l.create_dataset("gzip", data=data, chunks=(32,), compression="gzip")
    l.create_dataset("gzip_shuffle", data=data, chunks=(32,), compression="gzip", shuffle=True)
    if full:
        # Old-style chunk B-tree nodes are 2 KB each: keep the v0 file small.
        l.create_dataset("shuffle_i2", data=np.arange(50, dtype="<i2"), chunks=(20,), shuffle=True)
        l.create_dataset("fletcher", data=np.arange(10, dtype="<i4"), chunks=(4,), fletcher32=True)
    l.create_dataset("chunked_2d", data=m, chunks=(3, 4), compression="gzip", shuffle=True)


def layouts_b(l, data, m, full):
    sparse = l.create_dataset("sparse", shape=(40,), chunks=(8,), dtype="<i4", fillvalue=-1)
    sparse[9] = 9
    sparse[33] = 33
    l.create_dataset("one_chunk", data=data[:10], chunks=(10,), compression="gzip")
    l.create_dataset("unlimited_2d_gz", data=m, chunks=(4, 4), maxshape=(None, None), compression="gzip")
    if full:
        # Each index type of layout v4; a v0 file uses the v1 B-tree for all.
        l.create_dataset("unlimited", data=data[:30], chunks=(8,), maxshape=(None,))
        l.create_dataset("unlimited_gz", data=data[:30], chunks=(8,), maxshape=(None,), compression="gzip")
        l.create_dataset("unlimited_2d", data=m, chunks=(4, 4), maxshape=(None, None))
        l.create_dataset("unlimited_dim1", data=m, chunks=(4, 4), maxshape=(7, None))
        l.create_dataset("bigger_max", data=m, chunks=(4, 4), maxshape=(10, 20))
    l.create_dataset("vstr_chunked", data=np.array(["a", "bb", "ccc"], dtype=object), dtype=h5py.string_dtype(), chunks=(2,), compression="gzip")
    if not full:
        return
    # Implicit index (libver latest, no filters, early allocation).
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk((4,))
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    sid = h5py.h5s.create_simple((10,))
    d = h5py.h5d.create(l.id, b"early", h5py.h5t.STD_I16LE, sid, dcpl=dcpl)
    d.write(h5py.h5s.ALL, h5py.h5s.ALL, np.arange(10, dtype="<i2") * 3)


def groups(f, nmembers):
    """Nested groups, many members, soft links."""
    n = f.create_group("nested/deeper/deepest")
    n.create_dataset("leaf", data=np.int64(1))
    f["nested"].attrs["note"] = "intermediate groups"
    many = f.create_group("many")
    target = f.create_dataset("target", data=np.arange(3, dtype="<i1"))
    for i in range(nmembers):
        many["m%02d" % i] = target  # hard links: cheap members
    f["soft"] = h5py.SoftLink("/nested/deeper")


def dense_attrs(obj, n=20):
    for i in range(n):
        obj.attrs["attr%02d" % i] = np.float32(i) / 2
    obj.attrs["long_string_attr"] = "x" * 100


def main():
    # Superblock 0, object header 1, old-style groups (h5py's default).
    with h5py.File(os.path.join(OUT, "v0_num.h5"), "w") as f:
        types(f, "num")
    with h5py.File(os.path.join(OUT, "v0_types.h5"), "w") as f:
        types(f, "other")
    with h5py.File(os.path.join(OUT, "v0_layout_a.h5"), "w") as f:
        layouts(f, "a", full=False)
    with h5py.File(os.path.join(OUT, "v0_layout_b.h5"), "w") as f:
        layouts(f, "b", full=False)
    with h5py.File(os.path.join(OUT, "v0_groups.h5"), "w") as f:
        groups(f, 40)
        dense_attrs(f["target"], 12)
        # Creation-order tracking makes even an "earliest" file use link
        # messages, and dense link storage past 8 members.
        t = f.create_group("ordered", track_order=True)
        for i in range(12):
            t["o%02d" % (11 - i)] = f["target"]
        t.attrs["x"] = 1
    # Superblock 3, object header 2, compact/dense links, layout v4.
    with h5py.File(os.path.join(OUT, "latest_num.h5"), "w", libver="latest") as f:
        types(f, "num")
    with h5py.File(os.path.join(OUT, "latest_types.h5"), "w", libver="latest") as f:
        types(f, "other")
    with h5py.File(os.path.join(OUT, "latest_layout_a.h5"), "w", libver="latest") as f:
        layouts(f, "a")
    with h5py.File(os.path.join(OUT, "latest_layout_b.h5"), "w", libver="latest") as f:
        layouts(f, "b")
    with h5py.File(os.path.join(OUT, "latest_groups.h5"), "w", libver="latest") as f:
        groups(f, 20)
        dense_attrs(f["target"])
        dense_attrs(f)
    # A fractal heap past its first direct block (root indirect block) and a
    # v2 B-tree with internal nodes; a fixed array index with pages (more
    # than 1024 chunks).
    with h5py.File(os.path.join(OUT, "latest_big.h5"), "w", libver="latest") as f:
        t = f.create_dataset("t", data=np.int8(7))
        g = f.create_group("big")
        for i in range(100):
            g["a_somewhat_longer_link_name_%03d" % i] = t
        f.create_dataset("paged", data=(np.arange(1100) % 100).astype("<i1"), chunks=(1,))
    # Superblock 2.
    with h5py.File(os.path.join(OUT, "v108.h5"), "w", libver="v108") as f:
        g = f.create_group("g")
        g.create_dataset("x", data=np.array([1.0, 2.0], dtype=">f8"), chunks=(1,), compression="gzip")
        g.attrs["s"] = "v108"
        f.create_group("empty_group")
    for name in sorted(os.listdir(OUT)):
        if name.endswith(".h5"):
            expected(os.path.join(OUT, name))


if __name__ == "__main__":
    main()
