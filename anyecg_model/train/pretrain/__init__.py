"""Pre-training on any window dataset: the two stages as library calls (:mod:`.stages`: the Rhythm Quantizer
tokenizer, then masked code prediction), their objectives (:mod:`.objectives`) and the options of
``anyecg pretrain-tokenizer`` / ``anyecg pretrain`` (:mod:`.cli_options`)."""
