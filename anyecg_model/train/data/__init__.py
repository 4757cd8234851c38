"""Training data: the corpus cache and its packing (:mod:`.corpus`, :mod:`.corpus_pack`), the user's own data
sets (:mod:`.dataset_builder`, :mod:`.label_tables`, :mod:`.dataset_cache`), the batch contract
(:mod:`.batch`) and the window datasets that yield it (:mod:`.windows` for pre-training, :mod:`.task_windows`
for the tasks, :mod:`.synthetic` for tests and demos)."""
