"""The shipped model's recipe on the corpus cache: stages 1 and 2 (:mod:`.pretrain_corpus`), every task head,
the ultra-long episode head (:mod:`.ultralong`) and packaging (:mod:`.shipped`)."""
