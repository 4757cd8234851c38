"""Training, grouped by what each part is: :mod:`.data` (the corpus cache, the user's data sets, the batch
contract and the window datasets), :mod:`.tasks` (the fine-tuning tasks, one registered object each, and their
evaluation), :mod:`.pretrain` (the two pre-training stages on any dataset), :mod:`.finetune` (its config,
the options generated from it, the run and the viewer's job), :mod:`.recipe` (the shipped model's recipe),
:mod:`.loop` (the generic DDP/AMP trainer), :mod:`.baselines` (classical baselines on the same splits) and
:mod:`.beat_fusion_train` (the fusion beat classifier)."""
