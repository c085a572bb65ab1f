#pragma once
// Insight view: the confusion matrix on the test set (a heatmap of rates with the counts written
// in), refreshed after every epoch; clicking a cell lists those misclassified test images with
// their true and predicted labels and probabilities.

#include <QWidget>

#include "ui/snapshots.h"

class QLabel;
class QListWidget;

namespace ll::ui {

class Plot;

class InsightView : public QWidget {
    Q_OBJECT
public:
    explicit InsightView(QWidget* parent = nullptr);
    void setConfusion(const ConfusionSnapshot& s);
    /// Shows the mistakes with this true and predicted class (-1, -1: all of them).
    void selectCell(int truth, int predicted);
    Plot* heatmap() const { return m_plot; }
    QListWidget* gallery() const { return m_gallery; }
    const ConfusionSnapshot& snapshot() const { return m_snap; }

private:
    ConfusionSnapshot m_snap;
    Plot* m_plot;
    QListWidget* m_gallery;
    QLabel* m_caption;
};

}  // namespace ll::ui
