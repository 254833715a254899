"""Golden PSNR/SSIM values from scikit-image for Tests/EvaluationTests (run by hand: pip install scikit-image).

The two images are defined by formulas that the Swift test reproduces, so no image file is needed.
"""
import numpy as np
import skimage
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

def pair(w, h):
    y, x, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(3), indexing="ij")
    a = (x * 7 + y * 13 + c * 50) % 256
    b = np.clip(a + (x * y + c) % 11 - 5, 0, 255)
    return a.astype(np.uint8), b.astype(np.uint8)

print("scikit-image", skimage.__version__)
for w, h in [(23, 19), (64, 48)]:
    a, b = pair(w, h)
    print(f"{w}x{h} psnr={peak_signal_noise_ratio(a, b)!r} ssim={structural_similarity(a, b, channel_axis=2)!r}")
