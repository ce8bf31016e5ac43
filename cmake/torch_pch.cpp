// Anchor for the autolr_torch_pch target: the examples and benchmarks reuse its
// precompiled <torch/torch.h>, which needs a target with their compile flags.
