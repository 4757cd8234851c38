"""The Train page's two pyqtgraph plots (~13 ms of the GUI thread each) are built one per event-loop turn after
the page, or at once when the page is shown or drawn into (issue 18: the deferred panel built in one step was a
~100-ms gap while a families job held the interpreter lock half the time)."""
from __future__ import annotations


def test_the_page_is_built_without_its_plots_then_one_plot_per_turn(qtbot):
    from app.training.train_tab import TrainTab

    tab = TrainTab()
    qtbot.addWidget(tab)
    assert (tab.loss_plot, tab.metric_plot) == (None, None)
    assert tab.build_next_plot() and tab.loss_plot is not None and tab.metric_plot is None
    assert tab.build_next_plot() and tab.metric_plot is not None
    assert not tab.build_next_plot()


def test_the_plots_follow_by_themselves(qtbot):
    from app.training.train_tab import TrainTab

    tab = TrainTab()
    qtbot.addWidget(tab)
    qtbot.waitUntil(lambda: tab.metric_plot is not None, timeout=5000)
    lay = tab.layout()
    assert [lay.indexOf(tab.loss_plot), lay.indexOf(tab.metric_plot)] == [lay.count() - 2, lay.count() - 1]


def test_an_epoch_before_the_plots_are_built_is_drawn(qtbot):
    from anyecg_model.train.finetune.job import JobEvent
    from app.training.train_tab import TrainTab

    tab = TrainTab()
    qtbot.addWidget(tab)
    tab.show_event(JobEvent("epoch", {"epoch": 1, "train_loss": 0.5, "val_loss": 0.6, "metric": "r",
                                      "metric_value": 0.7}))
    assert list(tab.val_curve.getData()[1]) == [0.6]
    assert tab.metric_plot.plotItem.titleLabel.text.startswith("Validation Pearson r")
