"""Official LPIPS heatmaps from a TorchScript file the user exports (LPIPS weights cannot be
downloaded here, so facenorm ships none).

Convention of the file (what TorchScriptLPIPS expects):
  * module(x0, x1) takes two float32 (N, 3, H, W) RGB tensors scaled to [-1, 1]
    (pixel / 127.5 - 1), as lpips.LPIPS does with its default normalize=False;
  * it returns a spatial distance map (N, 1, h, w): export LPIPS with spatial=True, e.g.

        import lpips, torch
        m = lpips.LPIPS(net="alex", spatial=True).eval()
        x = torch.zeros(1, 3, 256, 256)
        torch.jit.trace(m, (x, x)).save("lpips_alex_spatial.pt")

    (trace with the image size you will use when the network resizes internally);
  * a map smaller than the input is upsampled bilinearly (align_corners=False);
  * a single value per image, (N, 1, 1, 1) or (N,), is refused with ModelError: that is a
    spatial=False export and holds no heatmap.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

from .._core import MissingFileError, ModelError
from .deep_features import check_image_pair, image_to_tensor, resize_map

__all__ = ["TorchScriptLPIPS"]


class TorchScriptLPIPS:
    """A user-supplied TorchScript LPIPS (see the module docstring for the convention), on the CPU."""

    def __init__(self, path):
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            raise MissingFileError(f"{self.path}: TorchScript LPIPS file not found")
        try:
            self.module = torch.jit.load(self.path, map_location="cpu")
        except Exception as e:  # torch raises RuntimeError/ValueError for anything not TorchScript
            raise ModelError(f"{self.path}: not a TorchScript module ({type(e).__name__}: "
                             f"{str(e).splitlines()[0] if str(e) else ''}); export LPIPS with "
                             "torch.jit.trace(lpips.LPIPS(spatial=True), (x, x)).save(path)") from None
        self.module.eval()

    def distance_map(self, x0: torch.Tensor, x1: torch.Tensor) -> torch.Tensor:
        """[-1, 1] float (N, 3, H, W) pair -> (N, 1, H, W), the module's map upsampled if smaller."""
        try:
            out = self.module(x0, x1)
        except Exception as e:
            raise ModelError(f"{self.path}: the TorchScript LPIPS failed on a {tuple(x0.shape)} input pair "
                             f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})") from None
        if not isinstance(out, torch.Tensor):
            raise ModelError(f"{self.path}: the module returned {type(out).__name__}, expected a tensor (N, 1, h, w)")
        n, _, height, width = x0.shape
        if out.dim() != 4 or out.shape[0] != n or out.shape[1] != 1:
            if out.numel() == n:
                raise ModelError(f"{self.path}: the module returns one distance per image {tuple(out.shape)}, "
                                 "not a map; export LPIPS with spatial=True")
            raise ModelError(f"{self.path}: the module returned shape {tuple(out.shape)}, expected (N, 1, h, w)")
        if out.shape[2] == 1 and out.shape[3] == 1 and height * width > 1:
            raise ModelError(f"{self.path}: the module returns a (N, 1, 1, 1) distance, not a spatial map; "
                             "export LPIPS with spatial=True")
        return resize_map(out.float(), (height, width))

    def heatmap(self, original: np.ndarray, normalized: np.ndarray) -> np.ndarray:
        """uint8 RGB (H, W, 3) pair -> float32 (H, W) LPIPS map."""
        check_image_pair(original, normalized, "LPIPS heatmap")
        with torch.no_grad():
            x0 = image_to_tensor(original) / 127.5 - 1.0
            x1 = image_to_tensor(normalized) / 127.5 - 1.0
            heat = self.distance_map(x0, x1)
        return np.ascontiguousarray(heat[0, 0].numpy(), dtype=np.float32)
