"""Fine-tuning a task head: the one config (:mod:`.config`, ``FinetuneConfig``), the command-line options
generated from it (:mod:`.options`), the library call shared by ``anyecg finetune`` and the viewer
(:mod:`.run`, ``finetune``) and the viewer's job in a worker process (:mod:`.job`)."""
