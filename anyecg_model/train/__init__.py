"""Training: datasets that yield the batch contract (:mod:`.batch`), the generic DDP/AMP trainer (:mod:`.loop`),
the two pre-training stages (:mod:`.pretraining`, :mod:`.objectives`), window datasets over recordings or the
corpus cache (:mod:`.windows`, :mod:`.corpus`), synthetic ECGs for tests (:mod:`.synthetic`) and the task
recipes of the shipped model (``tasks*``)."""
