#pragma once
// Insight view: the confusion matrix on the test set (a heatmap of rates with the counts written
// in), refreshed after every epoch; clicking a cell lists those misclassified test images with
// their true and predicted labels and probabilities.

#include <QWidget>

#include "ui/snapshots.h"

class QComboBox;
class QLabel;
class QListWidget;

namespace ll::ui {

class Plot;

class RunController;

class InsightView : public QWidget {
    Q_OBJECT
public:
    explicit InsightView(QWidget* parent = nullptr);
    void setConfusion(const ConfusionSnapshot& s);
    /// Adds a histogram snapshot (kept: the last 50) and redraws the selected layer's.
    void addHistograms(const HistogramSnapshot& s);
    void clearHistograms();
    /// Shows `run`'s confusion matrices and histograms; a new run's histograms from its start.
    void follow(RunController* run);
    Plot* weightHistogram() const { return m_wPlot; }
    Plot* gradientHistogram() const { return m_gPlot; }
    int histogramSnapshots() const { return static_cast<int>(m_history.size()); }
    const std::vector<HistogramSnapshot>& histogramHistory() const { return m_history; }
    /// Shows the mistakes with this true and predicted class (-1, -1: all of them).
    void selectCell(int truth, int predicted);
    Plot* heatmap() const { return m_plot; }
    QListWidget* gallery() const { return m_gallery; }
    const ConfusionSnapshot& snapshot() const { return m_snap; }

private:
    void drawHistograms();

    std::vector<HistogramSnapshot> m_history;
    QComboBox* m_layer;
    Plot* m_wPlot;
    Plot* m_gPlot;
    ConfusionSnapshot m_snap;
    Plot* m_plot;
    QListWidget* m_gallery;
    QLabel* m_caption;
};

}  // namespace ll::ui
