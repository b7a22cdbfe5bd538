# Generates hashdb/vpdq/testdata/pyformat.txt and pytx-json.txt with
# CPython's own formatting (format(x, '.3') and json.dumps), once.
import json, random, struct, sys
def f32(x): return struct.unpack("f", struct.pack("f", x))[0]
xs = [0.0, 1/30, 0.033, 1.0, 9.97, 30.0, 99.96, 100.0, 123.456, 600.0, 1234.5,
      0.5, 0.05, 0.0001, 0.00001, 1e-7, 0.99949, 0.9995, 9.995, 99.95, 99.949, 999.5,
      1e3, 1e4, 1e5, 1e15, 1e16, 1e17, 1e22, 1e300, 5e-324, 2.5, 12.0, 0.1, 0.2, 0.3,
      14400.0, 3599.999, 0.125, 0.0625, 1.005, 1.015, 1.025, 7.5, 10.0, 99.0, 100.5]
for fps in (30.0, 29.97, 30000/1001, 25.0, 24.0, 23.976, 60.0, 59.94, 15.0, 1.0, 0.5, 120.0):
    for n in list(range(0, 200)) + list(range(200, 40000, 397)):
        xs.append(f32(f32(float(n)) / f32(fps)))
rnd = random.Random(17)
for _ in range(1500):
    xs.append(rnd.uniform(0, 10 ** rnd.randint(-6, 6)))
seen = set()
with open(sys.argv[1], "w") as out:
    out.write("# x (repr) and format(x, '.3'), from CPython %s\n" % sys.version.split()[0])
    for x in xs:
        if x in seen: continue
        seen.add(x)
        out.write("%r %s\n" % (x, format(x, ".3")))
# Whole signal strings: synthetic features, pytx's vpdq_to_json rule.
with open(sys.argv[2], "w") as out:
    out.write("# one pytx vPDQ JSON string per line (json.dumps of '<hex>,<quality>,<ts:.3>'), CPython %s\n" % sys.version.split()[0])
    out.write(json.dumps([]) + "\n")
    for n in (1, 2, 5, 21, 100):
        fps = rnd.choice([30.0, 29.97, 25.0])
        step = rnd.choice([1, 29, 30])
        feats = []
        for i in range(n):
            h = "%064x" % rnd.getrandbits(256)
            q = rnd.randint(0, 100)
            ts = f32(f32(float(i * step)) / f32(fps))
            feats.append("%s,%d,%s" % (h, q, format(ts, ".3")))
        out.write(json.dumps(feats) + "\n")
