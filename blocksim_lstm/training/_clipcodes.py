"""The kernels' integer codes of the gradient clipping methods."""

CLIP_NONE = 0
CLIP_L2NORM = 1  # each learnable array separately (MATLAB's default 'l2norm')
CLIP_GLOBAL = 2  # all learnable arrays together ('global-l2norm')
