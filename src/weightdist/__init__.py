"""weightdist: train families of CIFAR-10 CNNs and compare their weight distributions layer by layer.

Modules, in pipeline order:
    config    typed view of the validated Snakemake config, run digests
    data      archive download/verification, synthetic archives, uint8 preparation, the on-device loader
    models    the two study models (resvgg: Model 1, vgg: Model 2) with stable parameter names
    inits     the four initialisations (default, he, xavier, orthogonal)
    train     the training loop with per-epoch checkpoints, snapshots and gradient norms
    weights   the HDF5 weight-file layout (writer and reader)
    stats     per-parameter distribution statistics and run tables
    measures  dead units, filter diversity, spectra, BN folding
    compare   group comparisons (KS, Wasserstein), accuracy correlations, the claims table
    plots     figures
    report    the HTML report
"""

__version__ = "0.1.0"
