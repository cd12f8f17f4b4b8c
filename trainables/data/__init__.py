"""Every dataset the studies use, the data cache, and what a loader returns (`Data`).

One module per dataset (digits and MNIST, CIFAR-10, Tiny-ImageNet, photos, review corpora with
GloVe, text corpora, the airline series, RL environments); model modules import from here and
define no data of their own."""
from trainables.data.cache import DataError
from trainables.data.dataset import Data, stratified_split, subsample, subsample_splits

__all__ = ["Data", "DataError", "stratified_split", "subsample", "subsample_splits"]
