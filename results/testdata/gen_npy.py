# Writes the small hand-made .npy fixtures used by the results tests, with
# NumPy itself so the reader is checked against the real writer.
# Run: python3 gen_npy.py   (written with NumPy 1.24.2)
import numpy as np
from numpy.lib import format as npf

# 5 steps x 4 neurons; spikes at (step, neuron) (0,1) (2,0) (2,3) (4,2).
a = np.zeros((5, 4), dtype=bool)
for s, n in [(0, 1), (2, 0), (2, 3), (4, 2)]:
    a[s, n] = True

np.save("spikes_bool.npy", a)
np.save("spikes_u1_fortran.npy", np.asfortranarray(a.astype(np.uint8)))
np.save("spikes_f8_bigendian.npy", a.astype(">f8"))
np.save("spikes_f2.npy", a.astype(np.float16))
with open("spikes_i2_v2.npy", "wb") as f:
    npf.write_array(f, a.astype(np.int16), version=(2, 0))
np.save("bad_rank1.npy", np.array([0, 1, 0], dtype=np.int32))
bad = a.astype(np.int32)
bad[3, 1] = -1
np.save("bad_value.npy", bad)
