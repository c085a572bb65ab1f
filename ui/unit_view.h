#pragma once
// Units view: what does a unit look for? For the selected layer, the test images that excite
// each channel most (top-k, with the patch under the receptive field of the strongest position
// lit and the rest dimmed) and inputs optimized to excite a channel (regularized activation
// maximization), the image evolving live beside its activation curve, the final one placed
// beside the channel's top-k. The math is core/analysis/unit_visualization.h.
//
// Threads: the view asks for a copy of the worker's net (netCopyRequested → setNetCopy) and
// computes on that copy in QtConcurrent tasks, never on the window's thread nor the worker's.
// Tasks share only a TaskState (atomics and a mutex) with the view, which a 50 ms timer reads;
// cancel sets its flag, and the destructor cancels and waits. Top-k results are cached per
// weights (NetCopy::key), layer and settings.

#include <QFutureWatcher>
#include <QImage>
#include <QWidget>
#include <map>
#include <memory>

#include "core/analysis/unit_visualization.h"
#include "ui/snapshots.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QScrollArea;
class QSpinBox;
class QTimer;

namespace ll::ui {

class Plot;

/// The grid: one row per channel, its top-k tiles with their activations, then the optimized
/// input (when there is one) with its activation and its ratio to the best tile.
class UnitGrid : public QWidget {
    Q_OBJECT
public:
    struct Row {
        QString label;
        std::vector<QImage> tiles;
        QStringList captions;
        QImage optimized;
        QString optimizedCaption;
    };
    explicit UnitGrid(QWidget* parent = nullptr);
    void setRows(std::vector<Row> rows, int tileSize, int columns, const QString& empty);
    int rowCount() const { return static_cast<int>(m_rows.size()); }
    const Row& row(int i) const { return m_rows.at(static_cast<std::size_t>(i)); }
    QSize sizeHint() const override;
    void setSelected(int row);

signals:
    void rowClicked(int row);

protected:
    void paintEvent(QPaintEvent* e) override;
    void mousePressEvent(QMouseEvent* e) override;

private:
    int rowHeight() const;
    std::vector<Row> m_rows;
    int m_tile = 56, m_columns = 9, m_selected = -1;
    QString m_empty;
};

class UnitView : public QWidget {
    Q_OBJECT
public:
    explicit UnitView(QWidget* parent = nullptr);
    ~UnitView() override;

    /// A new model: its layers; clears results and the cache.
    void setModel(const ModelInfo& info);
    /// Selects a top-level layer (as the Layers view does); shows its cached top-k if any.
    void setLayer(int node);
    int layer() const { return m_layer; }
    /// The copy asked for with netCopyRequested; starts what was waiting for it.
    void setNetCopy(const NetCopy& copy);

    /// Top-k of the selected layer for the current weights (from the cache when computed).
    void findTopK();
    /// Activation maximization of `channel` of the selected layer (-1: every channel in turn).
    void maximize(int channel);
    /// Cancels what runs (top-k and maximization); partial results stay.
    void cancel();
    bool busy() const;

    /// What is shown: null before a top-k is computed for this layer and these weights.
    const TopKResult* topK() const { return m_shown.result.get(); }
    /// Optimized inputs of the selected layer, by channel, for the current weights.
    const std::map<int, MaximizeResult>& maximized() const { return m_max; }
    /// Per channel, the best test image under the maximized objective (computed by the first
    /// maximization for these weights, layer and objective); empty before.
    const std::vector<TopExample>& bestUnderObjective() const { return m_best; }
    /// The objective's activation at each step of the last (or running) maximization.
    const std::vector<float>& curve() const { return m_curveValues; }
    /// A Markdown summary: layer, weights, per channel the top-k (index, label, activation) and
    /// the optimized input's activation with its ratio to the best test image.
    QString markdown() const;

    UnitGrid* grid() const { return m_grid; }
    Plot* curvePlot() const { return m_plot; }
    QLabel* liveImage() const { return m_live; }
    QSpinBox* kBox() const { return m_k; }
    QSpinBox* subsetBox() const { return m_subset; }
    QSpinBox* channelBox() const { return m_channel; }
    QSpinBox* stepsBox() const { return m_steps; }
    QComboBox* reduceBox() const { return m_reduce; }
    QComboBox* objectiveBox() const { return m_objective; }
    QLabel* status() const { return m_status; }

signals:
    /// The view needs a copy of the current net (answered with setNetCopy).
    void netCopyRequested();
    /// A top-k finished (or was cancelled) and is shown.
    void topKShown();
    /// A maximization ended (every channel asked for, or cancelled).
    void maximizeFinished();

private:
    struct TaskState;
    struct Shown {
        std::shared_ptr<const TopKResult> result;
        std::shared_ptr<const DataPair> data;
        QString weights;
    };
    enum class Pending { None, TopK, Maximize };

    QString cacheKey() const;
    QString maxKey() const;
    /// The best test image's activation for `channel` under the maximized objective (from the
    /// maximization's own pass, else the top-k when it measures the same); NaN when unknown.
    double bestFor(int channel) const;
    UnitSpec topKSpec() const;
    UnitSpec objectiveSpec() const;
    MaximizeOptions maximizeOptions() const;
    void startTopK();
    void startMaximize();
    void poll();
    void rebuildGrid();
    void showCurve();
    void updateButtons();
    QImage pixelsToImage(const Tensor& pixels, int scale) const;

    ModelInfo m_info;
    int m_layer = -1;
    NetCopy m_copy;
    bool m_haveCopy = false;
    Pending m_pending = Pending::None;
    int m_pendingChannel = 0;
    std::map<QString, Shown> m_cache;
    Shown m_shown;
    std::map<int, MaximizeResult> m_max;
    std::vector<TopExample> m_best;  // per channel, the best test image under the objective
    QString m_maxFor;                // maxKey() of m_max
    std::vector<float> m_curveValues;
    int m_curveChannel = -1;

    std::shared_ptr<TaskState> m_topTask, m_maxTask;
    QFutureWatcher<QString>* m_topWatcher;
    QFutureWatcher<QString>* m_maxWatcher;
    QTimer* m_timer;

    QComboBox* m_layerBox;
    QComboBox* m_reduce;
    QSpinBox* m_k;
    QSpinBox* m_subset;
    QPushButton* m_find;
    QPushButton* m_cancel;
    QProgressBar* m_progress;
    QLabel* m_status;
    UnitGrid* m_grid;
    QScrollArea* m_scroll;
    QSpinBox* m_channel;
    QComboBox* m_objective;
    QSpinBox* m_steps;
    QDoubleSpinBox* m_stepSize;
    QDoubleSpinBox* m_decay;
    QSpinBox* m_blurEvery;
    QDoubleSpinBox* m_blurSigma;
    QDoubleSpinBox* m_normPct;
    QDoubleSpinBox* m_contribPct;
    QSpinBox* m_jitter;
    QSpinBox* m_start;
    QPushButton* m_maximize;
    QPushButton* m_maximizeAll;
    QLabel* m_live;
    QLabel* m_liveCaption;
    Plot* m_plot;
};

}  // namespace ll::ui
